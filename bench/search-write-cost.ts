/**
 * What the history's text index costs the write path: the two writes of a run on the hot
 * path (lib/services/run-store.ts: insertRun, then one final batch with events, a step row,
 * the run's end and its outputs), timed in alternating blocks with the index's triggers
 * present and dropped (re-created from the migration), on a throwaway database.
 *
 *   npx tsx bench/search-write-cost.ts [sqlite|pg]
 *
 * pg uses a fresh database on the local server (lib/db/test-database.ts), dropped at the end.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
const provider = process.argv[2] === "pg" ? "pg" : "sqlite";
process.env.FLOWDECK_SECRET_KEY = "bench";
let drop: (() => Promise<void>) | undefined;
if (provider === "sqlite") process.env.DATABASE_URL = `file:${mkdtempSync(path.join(os.tmpdir(), "fd-wc-"))}/b.db`;
else {
  const { createTestPgDatabase } = await import("../lib/db/test-database");
  const d = await createTestPgDatabase();
  process.env.DATABASE_URL = d.url;
  drop = () => d.drop({ force: true });
}
const { applyMigrations } = await import("../lib/db/migrate");
const { db } = await import("../lib/db/client");
const { seedDemo } = await import("../lib/services/demo-seed");
const { insertRun, writeRunLogBatch } = await import("../lib/services/run-store");
await applyMigrations();
await seedDemo();
const ws = await db.workspace.findFirstOrThrow({ where: { slug: "demo" } });
const wf = await db.workflow.findFirstOrThrow({ where: { workspaceId: ws.id, name: "greet" }, include: { versions: true } });
const v = wf.versions[0];
// The trigger definitions, from the migration, to drop and re-create them between blocks.
const migration = readFileSync(provider === "sqlite" ? "prisma/migrations/20261123191500_run_text_index/migration.sql" : "prisma/postgres/migrations/20261123191500_run_text_index/migration.sql", "utf8");
const createTriggers = [...migration.matchAll(/CREATE TRIGGER[\s\S]*?(?:END;|EXECUTE FUNCTION [^;]+;)/g)].map((m) => m[0]);
const names = createTriggers.map((t) => /CREATE TRIGGER "?(\w+)"?/.exec(t)![1]);
const tableOf = (t: string) => /ON "(\w+)"/.exec(t)![1];
async function setTriggers(on: boolean) {
  for (const [i, t] of createTriggers.entries()) {
    await db.$executeRawUnsafe(provider === "sqlite" ? `DROP TRIGGER IF EXISTS "${names[i]}"` : `DROP TRIGGER IF EXISTS ${names[i]} ON "${tableOf(t)}"`);
    if (on) await db.$executeRawUnsafe(t);
  }
}
let i = 0;
async function cycle() {
  const n = i++;
  const { id } = await insertRun({ workspaceId: ws.id, workflowId: wf.id, versionId: v.id, versionNumber: 1, label: "production", status: "running", origin: "api",
    externalId: null, metadata: "{}", totalSteps: 3, createdById: null, apiKeyId: null, parentRunId: null, inputs: JSON.stringify({ name: `bench user ${n}` }) });
  const now = new Date();
  const out = JSON.stringify({ greeting: `HELLO, BENCH USER ${n}!`, length: 21 });
  await writeRunLogBatch({ runId: id, workspaceId: ws.id,
    events: [{ seq: 1, type: "run_started", data: '{"total_steps":3}', createdAt: now }, { seq: 2, type: "run_finished", data: `{"status":"succeeded","outputs":${out}}`, createdAt: now }],
    steps: [{ stepId: "greet", kind: "template", status: "succeeded", attempts: 1, output: '"Hello"', error: null, tokens: 0 }],
    run: { status: "succeeded", startedAt: now, finishedAt: now, elapsedMs: 1 }, outputs: out });
}
async function timeIt(runs: number) { const t0 = performance.now(); for (let k = 0; k < runs; k++) await cycle(); return (performance.now() - t0) / runs; }
await timeIt(300); // warm
const withT: number[] = [];
const without: number[] = [];
// Alternating blocks (ABBA…) so load and database growth fall on both sides.
for (const on of [true, false, false, true, true, false, false, true, true, false, false, true]) {
  await setTriggers(on);
  (on ? withT : without).push(await timeIt(300));
}
const med = (xs: number[]) => { const y = [...xs].sort((a, b) => a - b); return (y[(y.length - 1) >> 1] + y[y.length >> 1]) / 2; };
console.log(`${provider}: per run (insert + final batch), median of 6 alternating blocks of 300: with text index triggers ${med(withT).toFixed(3)} ms, without ${med(without).toFixed(3)} ms, ratio ${(med(withT) / med(without)).toFixed(2)} (+${(med(withT) - med(without)).toFixed(3)} ms); load ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
await db.$disconnect();
await drop?.();
process.exit(0);
