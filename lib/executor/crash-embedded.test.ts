/**
 * Crash test, embedded mode (the in-process executor; SQLite, or PostgreSQL with runs
 * inline when the suite runs there): 200 runs in flight in a stand-in web process
 * (lib/executor/test-inline-host.ts), killed with SIGKILL mid-way, then started again.
 * Every run finishes exactly once, no finished step's side effect (counted by a local HTTP
 * receiver) happens again, and no run is left running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { sideEffectWorkflow, spawnTsx, startSideEffectReceiver, waitFor, type ChildLines, type SideEffectReceiver } from "./test-fixtures";
import { checkCrashOutcome } from "./test-crash-checks";

const RUNS = 200;
let receiver: SideEffectReceiver;
let userId: string;
const children: ChildLines[] = [];

function startHost(): ChildLines {
  const host = spawnTsx("lib/executor/test-inline-host.ts", [userId, "crash"], {
    FLOWDECK_LEASE_MS: "1500",
    FLOWDECK_EXECUTOR_CONCURRENCY: "32",
    FLOWDECK_FETCH_ALLOW: new URL(receiver.origin).host,
  }, "web");
  children.push(host);
  return host;
}

beforeAll(async () => {
  await applyMigrations();
  // The receiver answers after a moment, so some calls are in flight when the process dies.
  receiver = await startSideEffectReceiver({ delayMs: 40 });
  const user = await db.user.create({ data: { email: "crash-embedded@example.test" } });
  userId = user.id;
  const actor = await createWorkspace(user.id, { slug: "crash", name: "Crash" });
  await createWorkflow(actor, { name: "crash", definition: sideEffectWorkflow(400) });
});

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await receiver?.close();
});

describe("embedded mode crash", () => {
  it("200 runs, the web process killed -9 mid-way and restarted: each run finishes once, no finished step repeats", async () => {
    const first = startHost();
    await first.waitForLine(/"ready":true/);
    first.child.stdin.write(`start ${RUNS} crash ${receiver.origin}\n`);
    await first.waitForLine(/"started":/, 20_000);

    // Mid-way: a good share finished, and runs are executing right now.
    const atKill = await waitFor(async () => {
      const [finished, running] = await Promise.all([
        db.run.count({ where: { status: "succeeded" } }),
        db.run.findMany({ where: { status: "running" }, select: { id: true } }),
      ]);
      return finished >= 40 && running.length > 0 && { running: running.map((r) => r.id) };
    }, 20_000, "runs to be mid-way");
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;
    const stillRunning = await db.run.findMany({ where: { status: "running" }, select: { id: true } });
    expect(stillRunning.length).toBeGreaterThan(0); // the kill did interrupt runs

    const accepted = first.lines.filter((l) => l.includes('"accepted"')).map((l) => JSON.parse(l).accepted as string);
    expect(accepted).toHaveLength(RUNS);

    // The restarted process takes over what the dead one left.
    const second = startHost();
    await second.waitForLine(/"ready":true/);
    await waitFor(async () => (await db.run.count({ where: { status: { in: ["queued", "running"] } } })) === 0, 40_000, "every run to finish");

    const recoveredIn = Date.now() - killedAt;
    const outcome = await checkCrashOutcome({ accepted, receiver, interrupted: stillRunning.map((r) => r.id), killedAt, atKillRunning: atKill.running });
    console.log(
      `embedded crash: ${RUNS} runs, ${stillRunning.length} interrupted by the kill, all finished ${recoveredIn} ms after it ` +
      `(restart included); ${outcome.resumed} resumed, ${outcome.repeatedInFlight} in-flight step call(s) repeated, none after a step was stored`,
    );

    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  }, 60_000);
});
