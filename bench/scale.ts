/**
 * Scale-out throughput on PostgreSQL: runs/s of the demo `greet` workflow executed by 1 and
 * 2 worker processes (scripts/worker.ts), beside raw graphile-worker jobs/s of a no-op task
 * (bench/noop-worker.ts, configured the same) on the same database in the same run, and
 * their ratio. Then (unless --no-events) the cross-process SSE latency of
 * bench/scale-events.ts on the same database.
 *
 *   npx tsx bench/scale.ts [--runs=600] [--jobs=3000] [--concurrency=16] [--no-events]
 *
 * Method, the same for both: the work is queued first with no worker running (runs through
 * the runs service, as the web process stores them: `queued` + a job; no-op jobs in one
 * batch), then the workers are started and the clock runs from the first completion seen
 * to the last (polled every 10 ms), so process start-up is left out. Each worker process
 * has `--concurrency` slots. Uses a fresh database on FLOWDECK_BENCH_PG_URL (or
 * FLOWDECK_TEST_PG_URL, or the local default), dropped at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const RUNS = Number(arg("runs") ?? 600);
const JOBS = Number(arg("jobs") ?? 3000);
const CONCURRENCY = Number(arg("concurrency") ?? 16);
const withEvents = !process.argv.includes("--no-events");

process.env.FLOWDECK_SECRET_KEY ??= "bench";
process.env.FLOWDECK_EXECUTOR = "worker"; // this process stores and enqueues; workers execute
if (process.env.FLOWDECK_BENCH_PG_URL) process.env.FLOWDECK_TEST_PG_URL = process.env.FLOWDECK_BENCH_PG_URL;
const { createTestPgDatabase } = await import("../lib/db/test-database");
const database = await createTestPgDatabase();
process.env.DATABASE_URL = database.url;

const { db } = await import("../lib/db/client");
const { seedDemo } = await import("../lib/services/demo-seed");
const { getActorForUser } = await import("../lib/services/users");
const { startRun } = await import("../lib/services/runs");
const { migrateJobQueue } = await import("../lib/executor/job-queue-schema");

/** Starts `count` processes of `script` and resolves once each printed its ready line. */
async function startProcesses(script: string, count: number): Promise<ChildProcess[]> {
  const procs = Array.from({ length: count }, () =>
    spawn(process.execPath, ["--import", "tsx", path.join(root, script)], {
      cwd: root,
      env: { ...process.env, FLOWDECK_WORKER_CONCURRENCY: String(CONCURRENCY) },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  await Promise.all(procs.map((p) => new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    p.on("exit", (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
  })));
  return procs;
}

async function stopProcesses(procs: ChildProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
    p.on("exit", () => resolve());
    p.kill("SIGTERM");
  })));
}

type Rate = { seconds: number; counted: number };
const perSecond = (r: Rate) => r.counted / r.seconds;

/** From the first completion seen to the last, polling `done()` (how many are complete). */
async function clock(total: number, done: () => Promise<number>): Promise<Rate> {
  let first: number | null = null;
  let firstCount = 0;
  for (;;) {
    const n = await done();
    const now = performance.now();
    if (first === null && n > 0) {
      first = now;
      firstCount = n;
    }
    if (n >= total) return { seconds: (now - first!) / 1000, counted: total - firstCount };
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rawJobs(workers: number): Promise<number> {
  // One statement for the whole batch, so queueing costs nothing measurable.
  await db.$executeRawUnsafe(
    `SELECT graphile_worker.add_jobs(array_agg(ROW('bench_noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec))
       FROM generate_series(1, $1)`,
    JOBS,
  );
  const procs = await startProcesses("bench/noop-worker.ts", workers);
  const left = async () => {
    const [{ n }] = await db.$queryRawUnsafe<{ n: number }[]>("SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'bench_noop'");
    return JOBS - n;
  };
  const rate = await clock(JOBS, left);
  await stopProcesses(procs);
  return perSecond(rate);
}

async function greetRuns(workers: number, actor: Awaited<ReturnType<typeof getActorForUser>>): Promise<number> {
  const ids: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < RUNS) {
      next++;
      const run = await startRun(actor, { workflow: "greet", label: "production", inputs: { name: `n${next}` }, origin: "api" });
      ids.push(run.id);
    }
  }));
  const procs = await startProcesses("scripts/worker.ts", workers);
  const finished = () => db.run.count({ where: { id: { in: ids }, status: { in: ["succeeded", "failed", "cancelled"] } } });
  const rate = await clock(RUNS, finished);
  await stopProcesses(procs);
  const failed = await db.run.count({ where: { id: { in: ids }, status: { not: "succeeded" } } });
  if (failed) throw new Error(`${failed} greet runs did not succeed`);
  return perSecond(rate);
}

try {
  await seedDemo();
  await migrateJobQueue();
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@flowdeck.local" } });
  const actor = await getActorForUser(user.id, "demo");
  const rows: { workers: number; greet: number; raw: number }[] = [];
  for (const workers of [1, 2]) {
    const raw = await rawJobs(workers);
    const greet = await greetRuns(workers, actor);
    rows.push({ workers, greet, raw });
    console.log(`${workers} worker(s): greet ${greet.toFixed(0)} runs/s, no-op jobs ${raw.toFixed(0)} jobs/s`);
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}: ${RUNS} greet runs / ${JOBS} no-op jobs per row, ${CONCURRENCY} slots per worker process`);
  console.log("| worker processes | greet runs/s | raw graphile-worker jobs/s (no-op) | ratio |\n|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.workers} | ${r.greet.toFixed(0)} | ${r.raw.toFixed(0)} | ${(r.greet / r.raw).toFixed(2)} |`);
  console.log(`2 workers / 1 worker: greet ×${(rows[1].greet / rows[0].greet).toFixed(2)}, no-op ×${(rows[1].raw / rows[0].raw).toFixed(2)}`);

  if (withEvents) {
    const { runEventLatencyBench } = await import("./scale-events");
    const { server, results } = await runEventLatencyBench({ server: "auto", log: () => {} });
    console.log(`\nSSE latency across processes (bench/scale-events.ts, web process: ${server})`);
    console.log("| scenario | events | p50 | p99 |\n|---|---|---|---|");
    for (const r of results) console.log(`| ${r.scenario} | ${r.samples} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms |`);
  }
} finally {
  await db.$disconnect();
  await database.drop({ force: true });
}
process.exit(0);
