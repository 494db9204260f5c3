/**
 * Fault: a worker that hangs. Two workers execute runs; one is frozen with SIGSTOP while it
 * holds several (in its http calls and in its waits). Its leases lapse, the other worker's
 * reaper unlocks its jobs and the other worker takes the runs over and finishes them. Then
 * the frozen one is thawed (SIGCONT): everything it was doing wakes at once, and none of
 * it may land — its writes are fenced by the lease, and it starts no new side effect for
 * a run it no longer holds. It then goes back to work as a healthy worker.
 *
 * Asserted: every run ends `succeeded` once, logs gap-free and untouched by the thawed
 * worker, no call started by it after the thaw (only a request it had begun before the
 * freeze may still leave late: nothing can recall it), no other step's side effect after
 * the step was stored, and the thawed worker executes new runs. Skipped when PostgreSQL is
 * unreachable locally; required in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, pgUnavailable, testSuiteProvider, type TestPgDatabase } from "../../db/test-database";
import { sideEffectWorkflow, spawnTsx, startSideEffectReceiver, waitFor, type ChildLines, type SideEffectReceiver } from "../test-fixtures";

const pgMissing = await pgUnavailable();
const LEASE_MS = 1500;
const RUNS = 30;

describe.skipIf(!!pgMissing)(`a hung worker on PostgreSQL${pgMissing ? ` (skipped: ${pgMissing})` : ""}`, () => {
  let database: TestPgDatabase | null = null;
  let receiver: SideEffectReceiver;
  let db: typeof import("../../db/client").db;
  let actor: import("../../schemas/workspace").Actor;
  const workers: ChildLines[] = [];

  const startWorker = (name: string) => {
    const worker = spawnTsx("scripts/worker.ts", [], {
      DATABASE_URL: process.env.DATABASE_URL,
      FLOWDECK_LEASE_MS: String(LEASE_MS),
      FLOWDECK_WORKER_CONCURRENCY: "12",
      FLOWDECK_WORKER_PG_POOL: "3",
      FLOWDECK_PG_POOL: "4",
      FLOWDECK_SHUTDOWN_GRACE_MS: "1000",
      FLOWDECK_FETCH_ALLOW: new URL(receiver.origin).host,
    }, name);
    workers.push(worker);
    return worker;
  };
  const ownerOf = async (w: ChildLines) => /\((worker-\d+-[0-9a-f]+),/.exec(await w.waitForLine(/ready/, 60_000))![1];
  const startRuns = async (n: number) => {
    const { startRun } = await import("../../services/runs");
    const uuids: string[] = [];
    for (let i = 0; i < n; i++) uuids.push((await startRun(actor, { workflow: "hang", inputs: { receiver: receiver.origin }, origin: "api" })).uuid);
    return uuids;
  };
  const allEnded = (timeoutMs: number) =>
    waitFor(async () => (await db.run.count({ where: { status: { in: ["queued", "running"] } } })) === 0, timeoutMs, "every run to end");
  /** Every stored event, as "runId/seq/type" (to prove nothing changes after the thaw). */
  const logSnapshot = async () =>
    (await db.runEvent.findMany({ select: { runId: true, seq: true, type: true }, orderBy: [{ runId: "asc" }, { seq: "asc" }] }))
      .map((e) => `${e.runId}/${e.seq}/${e.type}`);

  beforeAll(async () => {
    if (testSuiteProvider() !== "postgresql") {
      database = await createTestPgDatabase();
      process.env.DATABASE_URL = database.url;
    }
    process.env.FLOWDECK_EXECUTOR = "worker";
    ({ db } = await import("../../db/client"));
    const { migrateJobQueue } = await import("../job-queue-schema");
    const { createWorkspace } = await import("../../services/workspaces");
    const { createWorkflow } = await import("../../services/workflows");
    await migrateJobQueue();
    receiver = await startSideEffectReceiver({ delayMs: 150 });
    const user = await db.user.create({ data: { email: "hung-worker@example.test" } });
    actor = await createWorkspace(user.id, { slug: "hung", name: "Hung" });
    await createWorkflow(actor, { name: "hang", definition: sideEffectWorkflow(700) });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill("SIGCONT");
        w.child.kill("SIGKILL");
      }
    }
    await receiver?.close();
    await db?.$disconnect();
    await database?.drop({ force: true });
  });

  it("SIGSTOP mid-run: the other worker takes its runs over after the lease; thawed, it writes nothing and starts no call for them", async () => {
    const { checkRunsSettled } = await import("./checks");
    const { checkCrashOutcome } = await import("../test-crash-checks");
    const [a, b] = [startWorker("hung-a"), startWorker("hung-b")];
    const [ownerA] = await Promise.all([ownerOf(a), ownerOf(b)]);
    const accepted = await startRuns(RUNS);

    // A holds several runs, some of them waiting in the delay (their next step is a call).
    await waitFor(async () => {
      const running = await db.run.findMany({ where: { status: "running", leaseOwner: ownerA }, select: { id: true } });
      if (running.length < 3) return false;
      return (await db.stepRun.count({ where: { runId: { in: running.map((r) => r.id) }, stepId: "a" } })) >= 1;
    }, 30_000, "worker A to hold runs, some of them in their wait");
    a.child.kill("SIGSTOP");
    const stoppedAt = Date.now();
    // A statement A had sent just before may still land (even finish a run): let it.
    await new Promise((r) => setTimeout(r, 500));
    const frozen = (await db.run.findMany({ where: { status: "running", leaseOwner: ownerA }, select: { id: true } })).map((r) => r.id);
    expect(frozen.length).toBeGreaterThan(0);

    await allEnded(40_000);
    const recoveredIn = Date.now() - stoppedAt;
    const starts = await db.runEvent.findMany({ where: { runId: { in: frozen }, type: "run_started" }, select: { data: true, createdAt: true } });
    const takeovers = starts.filter((e) => JSON.parse(e.data).takeover).map((e) => e.createdAt.getTime() - stoppedAt);
    expect(takeovers.length, "each frozen run was taken over").toBe(frozen.length);
    // Not before the lease could have lapsed (the last heartbeat was at most a third of a lease before the stop).
    expect(Math.min(...takeovers)).toBeGreaterThanOrEqual(LEASE_MS * 0.6);

    // Thaw A: its timers, waits and answers all arrive at once.
    const before = await logSnapshot();
    const hitsAtThaw = new Map([...receiver.hits].map(([key, times]) => [key, times.length]));
    a.child.kill("SIGCONT");
    const thawedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2.5 * LEASE_MS));
    expect(await logSnapshot(), "the event logs after the thaw").toEqual(before);
    expect(a.child.exitCode ?? a.child.signalCode, "worker A is still alive").toBe(null);

    // A starts no call after the thaw. A call it had begun before the freeze (its start
    // stored under A's lease, the request not yet out of the process) may still go out when
    // it wakes: a pause can delay a request that was already decided, which nothing on this
    // side can recall. Those are told apart by the log: A's execution stored the step's start.
    const late = [...receiver.hits].flatMap(([key, times]) => times.slice(hitsAtThaw.get(key) ?? 0).map(() => key));
    for (const key of late) {
      const [uuid, stepId] = key.split("/");
      const events = await db.runEvent.findMany({ where: { run: { uuid } }, orderBy: { seq: "asc" }, select: { type: true, data: true } });
      const takeover = events.findIndex((e) => e.type === "run_started" && JSON.parse(e.data).takeover);
      const byA = takeover > 0 ? events.slice(0, takeover).map((e) => `${e.type}:${JSON.parse(e.data).step_id}`) : [];
      expect(byA.includes(`step_started:${stepId}`) && !byA.includes(`step_finished:${stepId}`), `call ${key} after the thaw: begun by A before the freeze`).toBe(true);
      receiver.hits.get(key)!.splice(hitsAtThaw.get(key) ?? 0); // accounted for here, not a repeat of a stored step
    }
    expect(late.length, "calls after the thaw (each one begun before the freeze)").toBeLessThanOrEqual(frozen.length);

    await checkRunsSettled(accepted);
    const outcome = await checkCrashOutcome({ accepted, receiver, interrupted: frozen, killedAt: stoppedAt });

    // Back to work: A executes new runs.
    const seenOwners = new Set<string>();
    const more = await startRuns(16);
    await waitFor(async () => {
      const running = await db.run.findMany({ where: { status: { in: ["queued", "running"] } }, select: { leaseOwner: true } });
      for (const r of running) if (r.leaseOwner) seenOwners.add(r.leaseOwner);
      return running.length === 0;
    }, 30_000, "the runs after the thaw to end");
    expect(seenOwners.has(ownerA), "the thawed worker executed new runs").toBe(true);
    await checkRunsSettled([...accepted, ...more]);
    console.log(
      `hung worker: ${RUNS} runs, ${frozen.length} frozen on worker A; taken over ${Math.min(...takeovers)}–${Math.max(...takeovers)} ms after SIGSTOP ` +
      `(lease ${LEASE_MS} ms), all ended ${recoveredIn} ms after it; thawed ${thawedAt - stoppedAt} ms after the stop: 0 events, 0 calls started ` +
      `(${late.length} begun before the freeze went out late); ` +
      `${outcome.repeatedInFlight} in-flight call(s) repeated by the takeover, none after a step was stored`,
    );

    for (const w of [a, b]) w.child.kill("SIGTERM");
    expect((await Promise.all([a.exited, b.exited])).map((e) => e.code)).toEqual([0, 0]);
  }, 90_000);
});
