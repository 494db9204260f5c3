/**
 * N followers (followRunEvents) of one run in this process, the run written by another
 * process (lib/events/test-bus-child.ts) on PostgreSQL: this process's CPU, the database's
 * transactions and the latency, per run of `count` events. Two rounds; prints the second.
 *
 *   npx tsx bench/events-fanout.ts [followers=20] [count=1000] [everyMs=5]
 *
 * Used for the shared-reader A/B in bench/README.md (the other side: the same script with
 * lib/events/follow-run-events.ts as before commit b994e27).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createTestPgDatabase } from "../lib/db/test-database";
process.env.FLOWDECK_SECRET_KEY ??= "x";
if (process.env.FLOWDECK_BENCH_PG_URL) process.env.FLOWDECK_TEST_PG_URL = process.env.FLOWDECK_BENCH_PG_URL;
const d = await createTestPgDatabase();
process.env.DATABASE_URL = d.url;
const { db } = await import("../lib/db/client");
const { seedDemo } = await import("../lib/services/demo-seed");
const { insertRun } = await import("../lib/services/run-store");
const { followRunEvents } = await import("../lib/events/follow-run-events");
const { startEventBus, stopEventBus } = await import("../lib/events/run-event-bus");
await seedDemo();
await startEventBus();
const wf = await db.workflow.findFirstOrThrow({ where: { name: "greet" } });
const v = await db.workflowVersion.findFirstOrThrow({ where: { workflowId: wf.id } });
const N = Number(process.argv[2] ?? 20), COUNT = Number(process.argv[3] ?? 1000), EVERY = Number(process.argv[4] ?? 5);
const commits = async () => Number((await db.$queryRawUnsafe<{ n: bigint }[]>("select xact_commit as n from pg_stat_database where datname = current_database()"))[0].n);
for (const round of [0, 1]) {
  const run = await insertRun({ workspaceId: wf.workspaceId, workflowId: wf.id, versionId: v.id, versionNumber: v.number, label: null, status: "running", origin: "api", externalId: null, metadata: "{}", totalSteps: 1, createdById: null, apiKeyId: null, parentRunId: null, inputs: "{}" });
  const lat: number[] = [];
  const followers = Array.from({ length: N }, async () => {
    let n = 0;
    for await (const f of followRunEvents(run.id)) { n++; lat.push(performance.timeOrigin + performance.now() - (f.data as any).sentAt); }
    return n;
  });
  await new Promise((r) => setTimeout(r, 300));
  const c0 = await commits(); const cpu0 = process.cpuUsage();
  const child = spawn(process.execPath, ["--import", "tsx", "lib/events/test-bus-child.ts", "write", String(run.id), String(wf.workspaceId), String(COUNT), "0", String(EVERY)], { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
  let done: any;
  createInterface({ input: child.stdout! }).on("line", (l) => { const m = JSON.parse(l); if (m.done) done = m; });
  const counts = await Promise.all(followers);
  await new Promise((r) => child.on("exit", r));
  const cpu = process.cpuUsage(cpu0); const c1 = await commits();
  lat.sort((a, b) => a - b);
  if (round) console.log(`${N} followers × ${COUNT} events (1 / ${EVERY} ms): all got ${counts.every((c) => c === COUNT + 1)}; here CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; db transactions ${c1 - c0} (writer notifies ${done.notificationsSent}); append→follower p50 ${lat[lat.length >> 1].toFixed(1)} p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)}; writer commit p50 ${done.commitP50.toFixed(1)} p99 ${done.commitP99.toFixed(1)}`);
}
await stopEventBus(); await db.$disconnect(); await d.drop({ force: true });
process.exit(0);
