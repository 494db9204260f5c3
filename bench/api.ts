/**
 * The run API's throughput over real HTTP against the production server, on either database:
 * blocking `greet` runs alone and at 16 clients, each beside the same server's bare route
 * (GET /api/health, no database) measured in the same sitting, as a ratio; the time from the
 * request to the first SSE event (streaming mode); and the server's memory idle and after
 * many runs (default 100,000), read from /proc and from a live-heap probe after a full GC.
 *
 *   npx tsx bench/api.ts [--db=sqlite|postgresql] [--mode=inline|worker] [--seconds=5] [--memory-runs=100000]
 *
 * PostgreSQL: a fresh database on FLOWDECK_BENCH_PG_URL (else the test default); `--mode=worker`
 * (the default there) adds one `npm run worker` process that executes the runs while the web
 * process stores and streams them; `inline` executes in the web process as SQLite does.
 * Serves the existing build (FLOWDECK_NO_BUILD=1): build first if the sources changed.
 */
import os from "node:os";
import path from "node:path";
import { Pool } from "undici";
import {
  arg, loadAverage, openBenchDatabase, pct, procStats, sampleMemory, seedBenchWorkspace, serverEnv, sleep, startWeb, startWorkerProcess,
  type DbKind,
} from "./load-kit";

const kind = (arg("db") ?? "sqlite") as DbKind;
if (kind !== "sqlite" && kind !== "postgresql") throw new Error("--db=sqlite|postgresql");
const mode = arg("mode") ?? (kind === "postgresql" ? "worker" : "inline");
const SECONDS = Number(arg("seconds") ?? 5);
const MEMORY_RUNS = Number(arg("memory-runs") ?? 100_000);

const database = await openBenchDatabase(kind);
const workspace = await seedBenchWorkspace({ llmUrl: "http://127.0.0.1:9/v1", workflows: {} });
const env = serverEnv(database, { FLOWDECK_EXECUTOR: mode });
const webProbe = path.join(database.dir, "web-mem.jsonl");
const web = await startWeb(env, "web", { memProbeFile: webProbe, memProbeMs: 0, gc: true });
const worker = mode === "worker" ? await startWorkerProcess(env, "worker", { memProbeFile: path.join(database.dir, "worker-mem.jsonl"), memProbeMs: 0, gc: true }) : null;

const pool = new Pool(web.url, { connections: 32, pipelining: 1 });
const headers = { authorization: `Bearer ${workspace.key}`, "content-type": "application/json" };

type Call = () => Promise<void>;

const bare: Call = async () => {
  const res = await pool.request({ path: "/api/health", method: "GET" });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`health ${res.statusCode}`);
};

let n = 0;
const greet: Call = async () => {
  const res = await pool.request({
    path: "/api/v1/workflows/greet/runs", method: "POST", headers,
    body: JSON.stringify({ inputs: { name: `bench ${n++}` }, label: "production", response_mode: "blocking" }),
  });
  const body = (await res.body.json()) as { status?: string; outputs?: { greeting?: string } };
  if (res.statusCode !== 200 || body.status !== "succeeded" || !body.outputs?.greeting) {
    throw new Error(`greet ${res.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
  }
};

/** Time to the first SSE `data:` line of a streaming run (the body is then drained). */
async function firstEvent(): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({
    path: "/api/v1/workflows/greet/runs", method: "POST", headers,
    body: JSON.stringify({ inputs: { name: "stream" }, label: "production", response_mode: "streaming" }),
  });
  if (res.statusCode !== 200) throw new Error(`streaming ${res.statusCode}: ${await res.body.text()}`);
  let first = 0;
  let text = "";
  for await (const chunk of res.body) {
    text += chunk.toString();
    if (!first && /(^|\n)data:/.test(text)) first = performance.now() - t0;
  }
  if (!first) throw new Error("no event in the stream");
  return first;
}

async function latency(call: Call, seconds: number): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b);
}

/** Calls per second with `clients` at once, for `seconds` or until `limit` calls were made. */
async function throughput(call: Call, clients: number, seconds: number, limit = Infinity): Promise<number> {
  let started = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end && started < limit) {
        started++;
        await call();
      }
    }),
  );
  return started / ((performance.now() - t0) / 1000);
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/**
 * The live heap (a sample taken right after a full GC) and RSS, asked for between the timed
 * phases: a forced GC during them would slow the server down (bench/mem-probe.mjs).
 */
async function memory(pid: number, probeFile: string): Promise<{ rssKb: number; heapMb: number }> {
  await sleep(1000); // let timers and background writes of the last runs settle
  const sample = await sampleMemory(pid, probeFile);
  return { rssKb: procStats(pid)?.rssKb ?? NaN, heapMb: sample ? sample.heapUsed / 1048576 : NaN };
}

try {
  // Warm both paths (JIT, route bundles, caches, the sandbox).
  await throughput(bare, 4, 1);
  await throughput(greet, 4, 2);
  const idle = await memory(web.pid, webProbe);

  const bareAlone = await latency(bare, SECONDS);
  const greetAlone = await latency(greet, SECONDS);
  const bare16 = await throughput(bare, 16, SECONDS);
  const greet16 = await throughput(greet, 16, SECONDS);
  const firsts: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) firsts.push(await firstEvent());
  firsts.sort((a, b) => a - b);

  const label = `${kind}${kind === "postgresql" ? `, ${mode}` : ""}`;
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${label} · load average ${loadAverage()} · ${os.cpus().length} cores`);
  console.log(`| figure | greet | bare route | ratio |`);
  console.log(`|---|---|---|---|`);
  console.log(`| alone, p50 | ${ms(pct(greetAlone, 0.5))} | ${ms(pct(bareAlone, 0.5))} | ${(pct(greetAlone, 0.5) / pct(bareAlone, 0.5)).toFixed(1)}× |`);
  console.log(`| alone, p99 | ${ms(pct(greetAlone, 0.99))} | ${ms(pct(bareAlone, 0.99))} | ${(pct(greetAlone, 0.99) / pct(bareAlone, 0.99)).toFixed(1)}× |`);
  console.log(`| 16 clients | ${greet16.toFixed(0)} runs/s | ${bare16.toFixed(0)} req/s | ${(greet16 / bare16).toFixed(2)} |`);
  console.log(`| request → first SSE event | p50 ${ms(pct(firsts, 0.5))}, p99 ${ms(pct(firsts, 0.99))} | ${ms(pct(bareAlone, 0.5))} | ${(pct(firsts, 0.5) / pct(bareAlone, 0.5)).toFixed(1)}× |`);

  if (MEMORY_RUNS > 0) {
    const t0 = performance.now();
    const rate = await throughput(greet, 16, 24 * 3600, MEMORY_RUNS);
    const after = await memory(web.pid, webProbe);
    const growth = (a: number, b: number) => `${b >= a ? "+" : ""}${(((b - a) / a) * 100).toFixed(0)} %`;
    console.log(`\nmemory of the web process (${MEMORY_RUNS.toLocaleString("en")} more blocking runs at 16 clients, ${rate.toFixed(0)} runs/s, ${((performance.now() - t0) / 1000).toFixed(0)} s):`);
    console.log(`| | idle (after warm-up) | after | growth |`);
    console.log(`|---|---|---|---|`);
    console.log(`| RSS | ${mb(idle.rssKb)} | ${mb(after.rssKb)} | ${growth(idle.rssKb, after.rssKb)} |`);
    console.log(`| live heap (after a full GC) | ${idle.heapMb.toFixed(0)} MB | ${after.heapMb.toFixed(0)} MB | ${growth(idle.heapMb, after.heapMb)} |`);
    if (worker) console.log(`| worker RSS after | | ${mb(procStats(worker.pid)?.rssKb ?? NaN)} | |`);
  }
} finally {
  await pool.close();
  await worker?.stop();
  await web.stop();
  await database.drop();
}
process.exit(0);
