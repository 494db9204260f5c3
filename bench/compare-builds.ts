/**
 * Two builds side by side on identical SQLite databases: this checkout ("this") and another
 * checkout with its own production build ("base", e.g. a `git worktree` of an older commit).
 * On a machine whose speed drifts by a quarter from one minute to the next, figures taken
 * minutes apart cannot be compared; here both servers run at once and take turns:
 *   - alone: one blocking `greet` run to each in turn, latency p50 / p90;
 *   - 16 clients: 2-second phases of blocking runs, alternating, summed per server; with the
 *     CPU time the server's main thread (the one serving requests) spent per run, from /proc.
 *
 *   git worktree add /tmp/base <commit> && cp -al node_modules /tmp/base/ && cp -r lib/generated /tmp/base/lib/
 *   (cd /tmp/base && npx tsx scripts/start.ts --build-only)
 *   npx tsx bench/compare-builds.ts --base=/tmp/base [--cycles=6] [--alone-seconds=4] [--base-flags="--max-semi-space-size=64"]
 *
 * `--base=.` compares this build with itself (with `--base-flags`, a Node flag's effect).
 */
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { arg, loadAverage, openBenchDatabase, pct, root, seedBenchWorkspace, serverEnv, startWeb } from "./load-kit";

const baseRoot = path.resolve(arg("base") ?? "");
if (!arg("base")) throw new Error("--base=<checkout with a production build>");
const CYCLES = Number(arg("cycles") ?? 6);
const ALONE_SECONDS = Number(arg("alone-seconds") ?? 4);

const database = await openBenchDatabase("sqlite");
const workspace = await seedBenchWorkspace({ llmUrl: "http://127.0.0.1:9/v1", workflows: {} });
// The base server gets a copy of the seeded database (its log folded in first).
{
  const { db } = await import("../lib/db/client");
  await db.$executeRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
}
const baseDir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-bench-base-"));
copyFileSync(path.join(database.dir, "bench.db"), path.join(baseDir, "bench.db"));

const thisWeb = await startWeb(serverEnv(database, { FLOWDECK_EXECUTOR: "inline" }), "this");
const savedFlags = process.env.FLOWDECK_BENCH_WEB_FLAGS;
if (arg("base-flags")) process.env.FLOWDECK_BENCH_WEB_FLAGS = arg("base-flags");
const baseWeb = await startWeb(
  { ...serverEnv(database, { FLOWDECK_EXECUTOR: "inline" }), DATABASE_URL: `file:${baseDir}/bench.db`, FLOWDECK_DATA_DIR: baseDir, FLOWDECK_ROOT: baseRoot },
  "base", {}, path.join(baseRoot, "scripts/server.ts"),
);
if (savedFlags === undefined) delete process.env.FLOWDECK_BENCH_WEB_FLAGS;
else process.env.FLOWDECK_BENCH_WEB_FLAGS = savedFlags;

const headers = { authorization: `Bearer ${workspace.key}`, "content-type": "application/json" };
/** CPU time (user + system) of a process's main thread so far, ms. */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
}

function client(url: string, pid: number) {
  const pool = new Pool(url, { connections: 32, pipelining: 1 });
  let n = 0;
  const greet = async () => {
    const res = await pool.request({
      path: "/api/v1/workflows/greet/runs", method: "POST", headers,
      body: JSON.stringify({ inputs: { name: `bench ${n++}` }, label: "production", response_mode: "blocking" }),
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`greet ${res.statusCode}: ${body.slice(0, 300)}`);
  };
  return { pool, pid, greet, done: 0, seconds: 0, mainCpuMs: 0, alone: [] as number[] };
}
const a = client(thisWeb.url, thisWeb.pid);
const b = client(baseWeb.url, baseWeb.pid);

for (let i = 0; i < 300; i++) {
  await a.greet();
  await b.greet();
}
const aloneEnd = performance.now() + ALONE_SECONDS * 1000;
while (performance.now() < aloneEnd) {
  for (const c of [a, b]) {
    const t0 = performance.now();
    await c.greet();
    c.alone.push(performance.now() - t0);
  }
}
async function phase(c: typeof a, seconds: number) {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const cpu0 = mainThreadCpuMs(c.pid);
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < end) {
      await c.greet();
      c.done++;
    }
  }));
  c.seconds += (performance.now() - t0) / 1000;
  c.mainCpuMs += mainThreadCpuMs(c.pid) - cpu0;
}
for (let i = 0; i < CYCLES; i++) {
  await phase(a, 2);
  await phase(b, 2);
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
const rate = (c: typeof a) => c.done / c.seconds;
for (const c of [a, b]) c.alone.sort((x, y) => x - y);
console.log(`\n${new Date().toISOString().slice(0, 10)} · load average ${loadAverage()} · ${os.availableParallelism()} cores · base ${path.relative(root, baseRoot) || "."}${arg("base-flags") ? ` ${arg("base-flags")}` : ""}`);
console.log("| figure | this build | base | this / base |");
console.log("|---|---|---|---|");
console.log(`| alone p50 | ${ms(pct(a.alone, 0.5))} | ${ms(pct(b.alone, 0.5))} | ${(pct(a.alone, 0.5) / pct(b.alone, 0.5)).toFixed(2)} |`);
console.log(`| alone p90 | ${ms(pct(a.alone, 0.9))} | ${ms(pct(b.alone, 0.9))} | ${(pct(a.alone, 0.9) / pct(b.alone, 0.9)).toFixed(2)} |`);
console.log(`| 16 clients | ${rate(a).toFixed(0)} runs/s | ${rate(b).toFixed(0)} runs/s | ${(rate(a) / rate(b)).toFixed(3)} |`);
const perRun = (c: typeof a) => c.mainCpuMs / c.done;
console.log(`| 16 clients: main thread CPU per run | ${ms(perRun(a))} | ${ms(perRun(b))} | ${(perRun(a) / perRun(b)).toFixed(2)} |`);

await Promise.all([a.pool.close(), b.pool.close()]);
await Promise.all([thisWeb.stop(), baseWeb.stop()]);
await database.drop();
