/**
 * Crash test, worker mode (PostgreSQL, graphile-worker): 200 runs in flight over two worker
 * processes (scripts/worker.ts), one killed with SIGKILL mid-way. The other takes its runs
 * over once their leases expire and resumes them from their last finished step: every
 * accepted run finishes exactly once, no finished step's side effect (counted by a local
 * HTTP receiver) happens again, no run is left running and no job is left behind.
 * This test process plays the web process (startRun stores the run queued and adds its job).
 * Skipped when PostgreSQL is unreachable locally; required in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, pgUnavailable, testSuiteProvider, type TestPgDatabase } from "../db/test-database";
import { sideEffectWorkflow, spawnTsx, startSideEffectReceiver, waitFor, type ChildLines, type SideEffectReceiver } from "./test-fixtures";

const pgMissing = await pgUnavailable();
const RUNS = 200;
const LEASE_MS = 2500;

describe.skipIf(!!pgMissing)(`worker mode crash on PostgreSQL${pgMissing ? ` (skipped: ${pgMissing})` : ""}`, () => {
  let database: TestPgDatabase | null = null;
  let receiver: SideEffectReceiver;
  let db: typeof import("../db/client").db;
  let actor: import("../schemas/workspace").Actor;
  const workers: ChildLines[] = [];

  const startWorker = () => {
    const worker = spawnTsx("scripts/worker.ts", [], {
      DATABASE_URL: process.env.DATABASE_URL,
      FLOWDECK_LEASE_MS: String(LEASE_MS),
      FLOWDECK_WORKER_CONCURRENCY: "24",
      // graphile-worker's pool small (jobs hold no connection while they run): the suite's
      // other PostgreSQL tests share the server's 100 connections.
      FLOWDECK_WORKER_PG_POOL: "3",
      FLOWDECK_SHUTDOWN_GRACE_MS: "2000",
      FLOWDECK_FETCH_ALLOW: new URL(receiver.origin).host,
    }, "worker");
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    if (testSuiteProvider() !== "postgresql") {
      database = await createTestPgDatabase();
      process.env.DATABASE_URL = database.url;
    }
    process.env.FLOWDECK_EXECUTOR = "worker"; // this process only stores and enqueues
    ({ db } = await import("../db/client"));
    const { migrateJobQueue } = await import("./job-queue-schema");
    const { createWorkspace } = await import("../services/workspaces");
    const { createWorkflow } = await import("../services/workflows");
    await migrateJobQueue();
    receiver = await startSideEffectReceiver({ delayMs: 40 });
    const user = await db.user.create({ data: { email: "crash-worker@example.test" } });
    actor = await createWorkspace(user.id, { slug: "crash-pg", name: "Crash" });
    await createWorkflow(actor, { name: "crash", definition: sideEffectWorkflow(400) });
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await receiver?.close();
    await db?.$disconnect();
    await database?.drop({ force: true });
  });

  it("200 runs over 2 workers, one killed -9 mid-way: each run finishes once, no finished step repeats, none left running", async () => {
    const { startRun } = await import("../services/runs");
    const { checkCrashOutcome } = await import("./test-crash-checks");
    // The workers boot while the runs are accepted (stored queued, each with its job).
    const [a, b] = [startWorker(), startWorker()];
    const t0 = Date.now();
    const accepted: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < RUNS) {
        next++;
        const run = await startRun(actor, { workflow: "crash", inputs: { receiver: receiver.origin }, origin: "api" });
        expect(run.status).toBe("queued");
        accepted.push(run.uuid);
      }
    }));
    const acceptedIn = Date.now() - t0;
    await Promise.all([a.waitForLine(/ready/), b.waitForLine(/ready/)]);
    const ownerA = /\((worker-\d+-[0-9a-f]+),/.exec(await a.waitForLine(/ready/))![1];

    // Mid-way: a good share finished, and worker A holds runs right now.
    await waitFor(async () => {
      const [finished, onA] = await Promise.all([
        db.run.count({ where: { status: "succeeded" } }),
        db.run.count({ where: { status: "running", leaseOwner: ownerA } }),
      ]);
      return finished >= 40 && onA >= 8;
    }, 30_000, "runs to be mid-way with several on worker A");
    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    await a.exited;
    const interrupted = (await db.run.findMany({ where: { status: "running", leaseOwner: ownerA }, select: { id: true } })).map((r) => r.id);
    expect(interrupted.length).toBeGreaterThan(0);

    await waitFor(async () => (await db.run.count({ where: { status: { in: ["queued", "running"] } } })) === 0, 60_000, "every run to finish");
    const recoveredIn = Date.now() - killedAt;
    const outcome = await checkCrashOutcome({ accepted, receiver, interrupted, killedAt });

    // Worker A's jobs (still locked by it when it died) were unlocked and completed by B.
    const [{ jobs }] = await db.$queryRawUnsafe<{ jobs: number }[]>("SELECT count(*)::int AS jobs FROM graphile_worker.jobs");
    expect(jobs).toBe(0);
    // The takeovers were B's, and waited for the leases to lapse (not earlier).
    const lateStarts = await db.runEvent.findMany({ where: { runId: { in: interrupted }, type: "run_started" }, select: { data: true, createdAt: true } });
    const takeoverTimes = lateStarts.filter((e) => JSON.parse(e.data).takeover).map((e) => e.createdAt.getTime());
    expect(takeoverTimes.length).toBe(interrupted.length);
    console.log(
      `worker crash: ${RUNS} runs accepted in ${acceptedIn} ms; ${interrupted.length} interrupted on the killed worker, taken over ` +
      `${Math.min(...takeoverTimes) - killedAt}–${Math.max(...takeoverTimes) - killedAt} ms after the kill (lease ${LEASE_MS} ms); ` +
      `all finished ${recoveredIn} ms after it; ${outcome.repeatedInFlight} in-flight step call(s) repeated, none after a step was stored`,
    );

    b.child.kill("SIGTERM");
    expect((await b.exited).code).toBe(0);
  }, 90_000); // about 30 s on an idle 2-core machine; the bound is for a loaded one
});
