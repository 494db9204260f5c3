/**
 * How long a stored 3-step `greet` run takes through the runs service and the in-process
 * executor (no HTTP): one at a time, then 16 at once. Prints the figures; bench/README.md
 * records them. Run: npx tsx bench/greet-service.ts [runs=300]
 *
 * It uses a throwaway SQLite database in a temp folder.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const dir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-bench-"));
process.env.DATABASE_URL = `file:${dir}/bench.db`;
process.env.FLOWDECK_DATA_DIR = dir;
process.env.FLOWDECK_SECRET_KEY = "bench";

const { applyMigrations } = await import("../lib/db/migrate");
const { db } = await import("../lib/db/client");
const { seedDemo } = await import("../lib/services/demo-seed");
const { getActorForUser } = await import("../lib/services/users");
const { startRun } = await import("../lib/services/runs");
const { subscribeRunEvents } = await import("../lib/events/run-event-bus");
const { shutdownSandboxPool } = await import("../lib/engine");
const { getRunLogPosition } = await import("../lib/services/run-events");
const { isFinalStatus } = await import("../lib/schemas/run");

await applyMigrations();
await seedDemo();
const user = await db.user.findFirstOrThrow({ where: { email: "demo@flowdeck.local" } });
const actor = await getActorForUser(user.id, "demo");

/** Starts one greet run and resolves when it has finished (its final state is stored). */
async function oneRun(i: number): Promise<number> {
  const t0 = performance.now();
  const run = await startRun(actor, { workflow: "greet", label: "production", inputs: { name: `n${i}` }, origin: "api" });
  await new Promise<void>((resolve) => {
    let done = false;
    const check = async () => {
      const position = await getRunLogPosition(run.id);
      if (!done && position && isFinalStatus(position.status)) {
        done = true;
        unsubscribe();
        resolve();
      }
    };
    const unsubscribe = subscribeRunEvents(run.id, () => void check());
    void check(); // it may have finished already
  });
  return performance.now() - t0;
}

const total = Number(process.argv[2] ?? 300);
for (let i = 0; i < 50; i++) await oneRun(i); // warm up

const alone: number[] = [];
for (let i = 0; i < total; i++) alone.push(await oneRun(i));
alone.sort((a, b) => a - b);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < total) await oneRun(next++);
}));
const seconds = (performance.now() - t0) / 1000;

console.log(`greet via service, alone: p50 ${pct(alone, 0.5).toFixed(2)} ms, p99 ${pct(alone, 0.99).toFixed(2)} ms (${total} runs)`);
console.log(`greet via service, 16 at once: ${(total / seconds).toFixed(0)} runs/s`);
await shutdownSandboxPool();
await db.$disconnect();
process.exit(0);
