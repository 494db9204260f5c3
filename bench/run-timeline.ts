/**
 * Where a blocking `greet` run's time goes, alone and at 16 clients: each run's stored
 * timestamps (created, started, its steps, finished) against the client's clock for sending
 * the request and reading the answer — one machine, one clock. SQLite, the production server.
 *
 *   npx tsx bench/run-timeline.ts [--runs=1200] [--seconds=6]
 *
 * Stored times have millisecond precision: read the averages, not single runs.
 */
import Database from "better-sqlite3";
import { Pool } from "undici";
import { arg, loadAverage, openBenchDatabase, seedBenchWorkspace, serverEnv, startWeb } from "./load-kit";

const RUNS = Number(arg("runs") ?? 1200);
const SECONDS = Number(arg("seconds") ?? 6);

const database = await openBenchDatabase("sqlite");
const workspace = await seedBenchWorkspace({ llmUrl: "http://127.0.0.1:9/v1", workflows: {} });
const web = await startWeb(serverEnv(database, { FLOWDECK_EXECUTOR: "inline" }), "web");
const pool = new Pool(web.url, { connections: 32, pipelining: 1 });
const headers = { authorization: `Bearer ${workspace.key}`, "content-type": "application/json" };

/** run uuid → [sent, answered] (epoch ms) for the phase being traced. */
let trace = new Map<string, [number, number]>();
let n = 0;
async function greet(): Promise<void> {
  const sent = Date.now();
  const res = await pool.request({
    path: "/api/v1/workflows/greet/runs", method: "POST", headers,
    body: JSON.stringify({ inputs: { name: `bench ${n++}` }, label: "production", response_mode: "blocking" }),
  });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`greet ${res.statusCode}: ${body.slice(0, 300)}`);
  trace.set((JSON.parse(body) as { id: string }).id, [sent, Date.now()]);
}

const phases: { name: string; trace: Map<string, [number, number]>; rate: number }[] = [];
for (let i = 0; i < 200; i++) await greet(); // warm-up
trace = new Map();
let t0 = performance.now();
for (let i = 0; i < RUNS; i++) await greet();
phases.push({ name: "alone", trace, rate: RUNS / ((performance.now() - t0) / 1000) });
trace = new Map();
t0 = performance.now();
const end = t0 + SECONDS * 1000;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (performance.now() < end) await greet();
}));
phases.push({ name: "16 clients", trace, rate: trace.size / ((performance.now() - t0) / 1000) });
await pool.close();
await web.stop();

const db = new Database(`${database.dir}/bench.db`, { readonly: true });
const epoch = (col: string) => `(julianday(${col}) - 2440587.5) * 86400000`;
const rows = db.prepare(`SELECT r."uuid", ${epoch('r."createdAt"')} AS c, ${epoch('r."startedAt"')} AS s, ${epoch('r."finishedAt"')} AS f,
    s."stepId" AS step, ${epoch('s."startedAt"')} AS ss, ${epoch('s."finishedAt"')} AS sf
  FROM "Run" r JOIN "StepRun" s ON s."runId" = r."id"`).all() as { uuid: string; c: number; s: number; f: number; step: string; ss: number; sf: number }[];
db.close();

console.log(`\n${new Date().toISOString().slice(0, 10)} · sqlite · load average ${loadAverage()} · mean ms per run`);
const stepIds = [...new Set(rows.map((r) => r.step))];
console.log(`| phase | runs/s | request → row | row → started | ${stepIds.map((s) => `step ${s}`).join(" | ")} | finished → answer | total |`);
console.log(`|---|---|---|---|${stepIds.map(() => "---|").join("")}---|---|`);
for (const phase of phases) {
  const sums = { created: 0, started: 0, answered: 0, total: 0, steps: new Map<string, number>() };
  const seen = new Set<string>();
  for (const r of rows) {
    const t = phase.trace.get(r.uuid);
    if (!t) continue;
    sums.steps.set(r.step, (sums.steps.get(r.step) ?? 0) + (r.sf - r.ss));
    if (seen.has(r.uuid)) continue;
    seen.add(r.uuid);
    sums.created += r.c - t[0];
    sums.started += r.s - r.c;
    sums.answered += t[1] - r.f;
    sums.total += t[1] - t[0];
  }
  const k = seen.size;
  const f = (x: number) => (x / k).toFixed(2);
  console.log(`| ${phase.name} | ${phase.rate.toFixed(0)} | ${f(sums.created)} | ${f(sums.started)} | ${stepIds.map((s) => f(sums.steps.get(s) ?? 0)).join(" | ")} | ${f(sums.answered)} | ${f(sums.total)} |`);
}
await database.drop();
