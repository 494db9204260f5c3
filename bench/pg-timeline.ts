/**
 * Where a blocking greet run's time goes on PostgreSQL with a worker process: client send → row
 * stored (createdAt, set by the web process) → claimed (startedAt, by the worker) → finished
 * (finishedAt) → answer received, p50/p90 over 50 runs per client after 10 warm-up rounds.
 * Run: npx tsx bench/pg-timeline.ts [clients=1]
 */

import { nowMs, openBenchDatabase, seedBenchWorkspace, serverEnv, sleep, startWeb, startWorkerProcess } from "./load-kit";
const database = await openBenchDatabase("postgresql");
const workspace = await seedBenchWorkspace({ llmUrl: "http://127.0.0.1:9/v1", workflows: {} });
const env = serverEnv(database, { FLOWDECK_EXECUTOR: "worker" });
const web = await startWeb(env, "web");
const worker = await startWorkerProcess(env, "worker");
const { db } = await import("../lib/db/client");
const headers = { authorization: `Bearer ${workspace.key}`, "content-type": "application/json" };
const rows: number[][] = [];
const C = Number(process.argv[2] ?? 1);
let i = 0;
await Promise.all(Array.from({ length: C }, async () => {
  while (i < 60 * C) {
    const n = i++;
    const t0 = nowMs();
    const res = await fetch(`${web.url}/api/v1/workflows/greet/runs`, { method: "POST", headers, body: JSON.stringify({ inputs: { name: `n${n}` } }) });
    const doc = await res.json() as { id: string };
    const t1 = nowMs();
    const run = await db.run.findFirstOrThrow({ where: { uuid: doc.id }, select: { createdAt: true, startedAt: true, finishedAt: true } });
    if (n >= 10 * C) rows.push([run.createdAt.getTime() - t0, run.startedAt!.getTime() - run.createdAt.getTime(), run.finishedAt!.getTime() - run.startedAt!.getTime(), t1 - run.finishedAt!.getTime(), t1 - t0]);
    if (C === 1) await sleep(20);
  }
}));
const med = (k: number) => { const xs = rows.map((r) => r[k]).sort((a, b) => a - b); return `${xs[Math.floor(xs.length / 2)].toFixed(1)}/${xs[Math.floor(xs.length * 0.9)].toFixed(0)}`; };
console.log(`send→created ${med(0)} ms · created→claimed ${med(1)} · claimed→finished ${med(2)} · finished→answer ${med(3)} · total ${med(4)}`);
await worker.stop?.(); await web.stop?.();
await db.$disconnect();
await database.drop();
process.exit(0);
