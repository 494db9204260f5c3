/**
 * The executor as the runs service sees it: where a stored run goes to be executed, how a
 * cancel reaches it, and recovery after a crash.
 *
 * - inline mode (embedded default, SQLite): a bounded queue executed in this process. A
 *   new run is stored already claimed when there is room; runs left `queued` or `running`
 *   by a previous process are taken over at start-up, and expired leases on a timer.
 * - worker mode (PostgreSQL): this process only stores runs `queued` and adds their job;
 *   worker processes (lib/executor/worker.ts, `npm run worker`) execute them. The reaper
 *   runs here too, so a lost job is found even when every worker is busy.
 *
 * Either way each run is claimed with a lease renewed by heartbeats (lib/executor/local-runs.ts),
 * so a crashed process's runs are taken over and resumed from their last finished step.
 */
import { randomUUID } from "node:crypto";
import { databaseProvider } from "../db/config";
import { notifyRunCancel, startEventBus } from "../events/run-event-bus";
import {
  addRunJob, cancelQueuedRun, claimRun, findRunsToRecover, LEASE_MS, type ClaimedRun,
} from "../services/run-execution";
import { LocalRuns } from "./local-runs";
import { executionMode, shutdownGraceMs } from "./mode";
import { startReaper, type Reaper } from "./reaper";
import { onShutdown } from "./shutdown";

export { executionMode, shutdownGraceMs, type ExecutionMode } from "./mode";

const CONCURRENCY = Number(process.env.FLOWDECK_EXECUTOR_CONCURRENCY ?? 32);

interface ExecutorState {
  local: LocalRuns;
  queue: number[];
  queued: Set<number>;
  /** Runs left `running` by a previous process, to be taken over despite their lease. */
  takeOver: Set<number>;
  /** Slots promised to runs being stored right now (see reserveExecution), and runs being claimed. */
  reserved: number;
  claiming: number;
  started: boolean;
  stopping: boolean;
  timers: (() => void)[];
}

const globalForExecutor = globalThis as unknown as { flowdeckExecutorState?: ExecutorState };
// On globalThis: Next.js may load this module in more than one bundle of one process.
const newLocalRuns = () => new LocalRuns({ owner: `web-${process.pid}-${randomUUID().slice(0, 8)}` });
const state: ExecutorState = (globalForExecutor.flowdeckExecutorState ??= {
  local: newLocalRuns(),
  queue: [],
  queued: new Set(),
  takeOver: new Set(),
  reserved: 0,
  claiming: 0,
  started: false,
  stopping: false,
  timers: [],
});

/** A promised execution slot: the run is stored already claimed, then handed over at once. */
export interface ExecutionReservation {
  /** Lease owner to store on the run. */
  owner: string;
  leaseExpiresAt: Date;
  /** Starts the stored run; its data is passed in memory, so nothing is read back. */
  start(run: ClaimedRun): void;
  /** Gives the slot back (the run was not stored). */
  release(): void;
}

const busy = () => state.local.size + state.reserved + state.claiming >= CONCURRENCY;

/**
 * A slot for a new run if this process executes runs and is idle enough to start it right
 * away: the caller stores the run as `running` under this executor's lease (no separate
 * claim) and calls start(). Null otherwise: store it `queued` and call enqueueRun().
 */
export function reserveExecution(): ExecutionReservation | null {
  if (executionMode() !== "inline" || state.stopping || busy() || state.queue.length > 0) return null;
  state.reserved++;
  let settled = false;
  const settle = () => {
    if (settled) return false;
    settled = true;
    state.reserved--;
    return true;
  };
  return {
    owner: state.local.owner,
    leaseExpiresAt: new Date(Date.now() + LEASE_MS),
    start(run) {
      if (!settle()) return;
      void state.local.execute(run).finally(pump);
    },
    release() {
      if (settle()) pump();
    },
  };
}

/** Whether this process is running (or holds in its queue) the run right now. */
export function isExecutingHere(runId: number): boolean {
  return state.local.has(runId) || state.queued.has(runId);
}

/**
 * Hands a stored, queued run to the executor: this process's queue (inline), or a job for
 * the workers (worker mode; a failure is logged, and the reaper adds the job later).
 */
export async function enqueueRun(runId: number): Promise<void> {
  if (executionMode() === "worker") {
    await addRunJob(runId).catch((err) => console.error(`[executor] could not enqueue run ${runId} (the reaper will):`, err));
    return;
  }
  if (state.stopping || state.queued.has(runId) || state.local.has(runId)) return;
  state.queued.add(runId);
  state.queue.push(runId);
  pump();
}

function pump(): void {
  while (!state.stopping && !busy() && state.queue.length > 0) {
    const runId = state.queue.shift()!;
    state.queued.delete(runId);
    const takeOverRunning = state.takeOver.delete(runId);
    state.claiming++;
    void claimRun(runId, state.local.owner, { takeOverRunning })
      .then(
        (run) => {
          state.claiming--;
          return run ? state.local.execute(run) : undefined;
        },
        (err) => {
          state.claiming--;
          console.error(`[executor] could not claim run ${runId}:`, err);
        },
      )
      .finally(pump);
  }
}

/**
 * Cancels a run: aborts it here if this process runs it, ends it if still queued, and
 * otherwise signals the process that runs it (cancelRequestedAt is stored already).
 */
export async function requestCancel(runId: number): Promise<void> {
  if (state.local.cancel(runId)) return;
  if (await cancelQueuedRun(runId)) {
    state.queued.delete(runId);
    state.queue = state.queue.filter((id) => id !== runId);
    return;
  }
  notifyRunCancel(runId);
}

/**
 * Starts this process's part (once): inline, recovery — at start-up every queued run and,
 * on SQLite (where this process is the only executor), every running one; then, on a
 * timer, runs whose lease expired. Worker mode: the reaper. Both stop gracefully on
 * runShutdownHooks() (lib/executor/shutdown.ts).
 */
export async function startExecutor(): Promise<void> {
  if (state.started) return;
  state.started = true;
  state.stopping = false;
  // After a stop, a new owner: runs handed back by the old one are claimed afresh.
  if (state.local.isStopping) state.local = newLocalRuns();
  onShutdown(() => stopExecutor());
  if (executionMode() === "worker") {
    // Cancels must reach the workers (idempotent; instrumentation starts it too).
    await startEventBus().catch((err) => console.error("[executor] event bus:", err));
    const reaper: Reaper = startReaper();
    state.timers.push(() => reaper.stop());
    return;
  }
  const recover = async (includeAllRunning: boolean) => {
    for (const runId of await findRunsToRecover({ includeAllRunning })) {
      if (includeAllRunning) state.takeOver.add(runId);
      void enqueueRun(runId);
    }
  };
  await recover(databaseProvider() === "sqlite").catch((err) => console.error("[executor] recovery failed:", err));
  const timer = setInterval(() => void recover(false).catch(() => {}), LEASE_MS);
  timer.unref?.();
  state.timers.push(() => clearInterval(timer));
}

/**
 * Graceful stop: takes no more runs, lets running steps finish for up to `graceMs`
 * (FLOWDECK_SHUTDOWN_GRACE_MS), then hands the unfinished runs back (queued, no lease) so
 * the next executor resumes them at once.
 */
export async function stopExecutor(graceMs: number = shutdownGraceMs()): Promise<void> {
  state.stopping = true;
  state.started = false;
  for (const stop of state.timers.splice(0)) stop();
  // Queued runs stay queued in the database; the next start picks them up.
  state.queue = [];
  state.queued.clear();
  state.takeOver.clear();
  await state.local.drain(graceMs);
}
