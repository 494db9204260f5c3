/**
 * The in-process executor (embedded default): a bounded queue of runs executed in this
 * server process. It claims each run with a lease (renewed while it runs), so a crashed
 * process's runs are taken over and resumed from their last finished step.
 */
import { randomUUID } from "node:crypto";
import {
  cancelQueuedRun, claimRun, findRunsToRecover, isCancelRequested, LEASE_MS, renewLease, type ClaimedRun,
} from "../services/run-execution";
import { executeClaimedRun } from "./execute-run";
import { onRunEnded } from "../services/callbacks";

const CONCURRENCY = Number(process.env.FLOWDECK_EXECUTOR_CONCURRENCY ?? 32);

interface ExecutorState {
  owner: string;
  queue: number[];
  queued: Set<number>;
  /** Runs left `running` by a previous process, to be taken over despite their lease. */
  takeOver: Set<number>;
  active: Map<number, AbortController>;
  /** Slots promised to runs being stored right now (see reserveExecution). */
  reserved: number;
  started: boolean;
}

const globalForExecutor = globalThis as unknown as { flowdeckExecutor?: ExecutorState };
const state: ExecutorState = (globalForExecutor.flowdeckExecutor ??= {
  owner: `web-${process.pid}-${randomUUID().slice(0, 8)}`,
  queue: [],
  queued: new Set(),
  takeOver: new Set(),
  active: new Map(),
  reserved: 0,
  started: false,
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

/**
 * A slot for a new run if this executor is idle enough to start it right away: the caller
 * stores the run as `running` under this executor's lease (no separate claim) and calls
 * start(). Null when busy: store it `queued` and enqueueRun() instead.
 */
export function reserveExecution(): ExecutionReservation | null {
  if (state.active.size + state.reserved >= CONCURRENCY || state.queue.length > 0) return null;
  state.reserved++;
  let settled = false;
  const settle = () => {
    if (settled) return false;
    settled = true;
    state.reserved--;
    return true;
  };
  return {
    owner: state.owner,
    leaseExpiresAt: new Date(Date.now() + LEASE_MS),
    start(run) {
      if (!settle()) return;
      const controller = new AbortController();
      state.active.set(run.id, controller);
      void runOne(run.id, controller, false, run).finally(() => {
        state.active.delete(run.id);
        pump();
      });
    },
    release() {
      if (settle()) pump();
    },
  };
}

/** Whether this process is running (or holds in its queue) the run right now. */
export function isExecutingHere(runId: number): boolean {
  return state.active.has(runId) || state.queued.has(runId);
}

/** Hands a stored, queued run to the executor. Returns at once. */
export function enqueueRun(runId: number): void {
  if (state.queued.has(runId) || state.active.has(runId)) return;
  state.queued.add(runId);
  state.queue.push(runId);
  pump();
}

function pump(): void {
  while (state.active.size + state.reserved < CONCURRENCY && state.queue.length > 0) {
    const runId = state.queue.shift()!;
    state.queued.delete(runId);
    const controller = new AbortController();
    state.active.set(runId, controller);
    const takeOver = state.takeOver.delete(runId);
    void runOne(runId, controller, takeOver).finally(() => {
      state.active.delete(runId);
      pump();
    });
  }
}

async function runOne(runId: number, controller: AbortController, takeOverRunning = false, preclaimed?: ClaimedRun): Promise<void> {
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  try {
    const run = preclaimed ?? (await claimRun(runId, state.owner, { takeOverRunning }));
    if (!run) return;
    if (run.cancelRequested) controller.abort();
    heartbeat = setInterval(() => {
      void renewLease(runId, state.owner).then(async (ok) => {
        if (!ok || (await isCancelRequested(runId))) controller.abort();
      }).catch(() => {});
    }, LEASE_MS / 3);
    await executeClaimedRun(run, controller.signal);
    // Callbacks are sent on their own time; this only schedules (no query for runs without one).
    void onRunEnded(runId);
  } catch (err) {
    console.error(`[executor] run ${runId} failed to execute:`, err);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
}

/** Cancels a run: aborts it here if this process runs it, or ends it if still queued. */
export async function requestCancel(runId: number): Promise<void> {
  const active = state.active.get(runId);
  if (active) {
    active.abort();
    return;
  }
  if (await cancelQueuedRun(runId)) {
    state.queued.delete(runId);
    state.queue = state.queue.filter((id) => id !== runId);
  }
}

/**
 * Starts recovery: at start-up every queued run, and every running run (in the embedded
 * mode this process is the only executor, so a running run is one a previous process
 * left behind); then, on a timer, runs whose lease expired.
 */
export async function startExecutor(): Promise<void> {
  if (state.started) return;
  state.started = true;
  const recover = async (includeAllRunning: boolean) => {
    for (const runId of await findRunsToRecover({ includeAllRunning })) {
      if (includeAllRunning) state.takeOver.add(runId);
      enqueueRun(runId);
    }
  };
  await recover(true).catch((err) => console.error("[executor] recovery failed:", err));
  setInterval(() => void recover(false).catch(() => {}), LEASE_MS).unref();
}
