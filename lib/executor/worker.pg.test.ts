/**
 * Worker mode on a real PostgreSQL with real worker processes (scripts/worker.ts): a run
 * whose job was lost is found by the reaper; a cancel from this (web) process stops a run
 * executing in a worker within a second; SIGTERM lets running steps finish within the
 * grace period, hands the rest back (queued, with a job) and exits, and the next worker
 * resumes them without repeating a finished step.
 * Skipped when PostgreSQL is unreachable locally; required in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, pgUnavailable, testSuiteProvider, type TestPgDatabase } from "../db/test-database";
import { hitStep, spawnTsx, startSideEffectReceiver, waitFor, type ChildLines, type SideEffectReceiver } from "./test-fixtures";

const pgMissing = await pgUnavailable();
const LEASE_MS = 1500;

describe.skipIf(!!pgMissing)(`worker processes on PostgreSQL${pgMissing ? ` (skipped: ${pgMissing})` : ""}`, () => {
  let database: TestPgDatabase | null = null;
  let receiver: SideEffectReceiver;
  let db: typeof import("../db/client").db;
  let runs: typeof import("../services/runs");
  let actor: import("../schemas/workspace").Actor;
  const workers: ChildLines[] = [];

  const startWorker = async (graceMs = 2_000) => {
    const worker = spawnTsx("scripts/worker.ts", [], {
      DATABASE_URL: process.env.DATABASE_URL,
      FLOWDECK_LEASE_MS: String(LEASE_MS),
      FLOWDECK_WORKER_CONCURRENCY: "4",
      FLOWDECK_WORKER_PG_POOL: "3",
      FLOWDECK_SHUTDOWN_GRACE_MS: String(graceMs),
      FLOWDECK_FETCH_ALLOW: new URL(receiver.origin).host,
    }, "worker");
    workers.push(worker);
    await worker.waitForLine(/ready/);
    return worker;
  };
  const start = (workflow: string) => runs.startRun(actor, { workflow, inputs: { receiver: receiver.origin }, origin: "api" });
  const row = (id: number) => db.run.findUniqueOrThrow({ where: { id } });
  const stepStatus = async (runId: number) =>
    Object.fromEntries((await db.stepRun.findMany({ where: { runId } })).map((s) => [s.stepId, s.status]));
  const started = (runId: number, stepId: string) =>
    waitFor(async () => (await db.runEvent.findMany({ where: { runId, type: "step_started" } })).some((e) => e.data.includes(`"${stepId}"`)), 15_000, `step ${stepId} of run ${runId} to start`);
  const finished = (id: number, ms = 15_000) =>
    waitFor(async () => {
      const r = await row(id);
      return ["succeeded", "failed", "cancelled"].includes(r.status) && r;
    }, ms, `run ${id} to finish`);
  const jobsOf = (id: number) =>
    db.$queryRawUnsafe<{ locked_by: string | null }[]>("SELECT locked_by FROM graphile_worker.jobs WHERE key = $1", `run:${id}`);

  beforeAll(async () => {
    if (testSuiteProvider() !== "postgresql") {
      database = await createTestPgDatabase();
      process.env.DATABASE_URL = database.url;
    }
    process.env.FLOWDECK_EXECUTOR = "worker";
    ({ db } = await import("../db/client"));
    runs = await import("../services/runs");
    const { migrateJobQueue } = await import("./job-queue-schema");
    const { createWorkspace } = await import("../services/workspaces");
    const { createWorkflow } = await import("../services/workflows");
    const { startEventBus } = await import("../events/run-event-bus");
    await migrateJobQueue();
    await startEventBus(); // as the web process does: cancels reach the workers through it
    receiver = await startSideEffectReceiver();
    const user = await db.user.create({ data: { email: "workers@example.test" } });
    actor = await createWorkspace(user.id, { slug: "workers", name: "Workers" });
    const chain = (waitMs: number) => ({
      inputs: [{ name: "receiver", type: "text" }],
      steps: [hitStep("a"), { id: "wait", kind: "delay", needs: ["a"], config: { ms: waitMs } }, hitStep("b", ["wait"])],
    });
    await createWorkflow(actor, { name: "quick", definition: chain(10) });
    await createWorkflow(actor, { name: "short", definition: chain(1_200) });
    await createWorkflow(actor, { name: "long", definition: chain(20_000) });
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    const { stopEventBus } = await import("../events/run-event-bus");
    await stopEventBus();
    await receiver?.close();
    await db?.$disconnect();
    await database?.drop({ force: true });
  });

  it("the reaper finds a queued run whose job was lost and has it executed", async () => {
    const run = await start("quick");
    expect(run.status).toBe("queued");
    expect(await jobsOf(run.id)).toHaveLength(1);
    await db.$executeRawUnsafe("SELECT graphile_worker.remove_job($1)", `run:${run.id}`);
    expect(await jobsOf(run.id)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, LEASE_MS)); // older than a lease: not just between insert and enqueue
    await startWorker();
    const done = await finished(run.id, 10_000);
    expect(done.status).toBe("succeeded");
    expect(receiver.count(run.uuid, "a")).toBe(1);
    expect(receiver.count(run.uuid, "b")).toBe(1);
  }, 30_000);

  it("a cancel from the web process stops the run in the worker within a second", async () => {
    const run = await start("long");
    await started(run.id, "wait");
    const t0 = Date.now();
    const answer = await runs.cancelRun(actor, run.uuid);
    expect(answer.status).toBe("cancelling");
    const done = await finished(run.id, 5_000);
    const ms = Date.now() - t0;
    expect(done.status).toBe("cancelled");
    expect(ms).toBeLessThan(1_000);
    expect(receiver.count(run.uuid, "b")).toBe(0);
    console.log(`cross-process cancel: run ended cancelled ${ms} ms after cancelRun`);
  }, 30_000);

  it("SIGTERM: the running step finishes within the grace period, the rest is handed back and resumed elsewhere", async () => {
    const [worker] = workers;
    const short = await start("short"); // its 1.2 s wait fits in the 2 s grace period
    const long = await start("long"); // its 20 s wait does not
    await Promise.all([started(short.id, "wait"), started(long.id, "wait")]);
    const t0 = Date.now();
    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    const stopMs = Date.now() - t0;
    expect(exit.code).toBe(0);
    expect(stopMs).toBeLessThan(6_000);

    for (const run of [short, long]) {
      const r = await row(run.id);
      expect(r.status, `run ${run.id}`).toBe("queued");
      expect(r.leaseOwner).toBeNull();
      // Handed back with a job ready for the next worker (not locked by the one that left).
      expect(await jobsOf(run.id)).toEqual([{ locked_by: null }]);
      expect(await db.runEvent.count({ where: { runId: run.id, type: "run_finished" } })).toBe(0);
    }
    expect(await stepStatus(short.id)).toEqual({ a: "succeeded", wait: "succeeded" });
    expect(await stepStatus(long.id)).toEqual({ a: "succeeded" });
    expect(receiver.count(short.uuid, "b")).toBe(0);

    // The next worker resumes them: no finished step is executed again.
    await startWorker();
    const done = await finished(short.id);
    expect(done.status).toBe("succeeded");
    expect(receiver.count(short.uuid, "a")).toBe(1);
    expect(receiver.count(short.uuid, "b")).toBe(1);
    const starts = await db.runEvent.findMany({ where: { runId: short.id, type: "run_started" } });
    expect(starts.map((e) => JSON.parse(e.data).takeover)).toEqual([undefined, undefined]); // handed back, not taken over
    await started(long.id, "wait").then(() => waitFor(async () => (await db.runEvent.count({ where: { runId: long.id, type: "run_started" } })) === 2, 10_000, "long to resume"));
    expect(receiver.count(long.uuid, "a")).toBe(1);
    await runs.cancelRun(actor, long.uuid);
    expect((await finished(long.id, 5_000)).status).toBe("cancelled");
    console.log(`graceful stop: worker exited ${stopMs} ms after SIGTERM (grace 2000 ms)`);
  }, 45_000);
});
