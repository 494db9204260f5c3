/**
 * The runs this process is executing, whichever executor took them (the in-process queue
 * or a worker's job): one heartbeat for all of them (renews their leases, notices a lost
 * lease or a cancel request), cancel signals from any process, and the graceful drain.
 */
import { expectCallback, onRunEnded } from "../services/callbacks";
import {
  expireLease, findCancelRequested, LEASE_MS, releaseRun, renewLeases, type ClaimedRun,
} from "../services/run-execution";
import { eventBusStatus, subscribeBusResync, subscribeRunCancel } from "../events/run-event-bus";
import { CANCEL, executeClaimedRun, HAND_BACK, LEASE_LOST, type ExecutionEnd } from "./execute-run";

interface ActiveRun {
  abort: AbortController;
  pause: AbortController;
  done: Promise<ExecutionEnd | "error">;
}

export interface LocalRunsOptions {
  /** Lease owner written on the runs this process holds. */
  owner: string;
  /** Called after a run was handed back (queued again), e.g. to add its job. */
  onHandBack?: (runId: number) => Promise<void>;
  /** Poll for cancel requests this often when no cross-process signal is available (0: only at heartbeats). */
  cancelPollMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

export class LocalRuns {
  readonly owner: string;
  private readonly active = new Map<number, ActiveRun>();
  private stopping = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: LocalRunsOptions) {
    this.owner = options.owner;
  }

  get size(): number {
    return this.active.size;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  has(runId: number): boolean {
    return this.active.has(runId);
  }

  /**
   * Executes a run this owner has claimed, until it finishes, is handed back or its lease
   * is lost. Never throws: an unexpected error lets the lease lapse, so the run is taken
   * over (and counted as a takeover) by the next executor.
   */
  execute(run: ClaimedRun): Promise<ExecutionEnd | "error"> {
    const existing = this.active.get(run.id);
    if (existing) return existing.done;
    const abort = new AbortController();
    const pause = new AbortController();
    if (run.cancelRequested) abort.abort(CANCEL);
    if (this.stopping) pause.abort();
    const done = this.executeOne(run, abort, pause);
    this.active.set(run.id, { abort, pause, done });
    this.startTimers();
    void done.finally(() => {
      this.active.delete(run.id);
      if (this.active.size === 0) this.stopTimers();
    });
    return done;
  }

  private async executeOne(run: ClaimedRun, abort: AbortController, pause: AbortController): Promise<ExecutionEnd | "error"> {
    try {
      const end = await executeClaimedRun(run, { signal: abort.signal, pause: pause.signal, owner: this.owner });
      if (end === "handed_back") {
        if (await releaseRun(run.id, this.owner)) await this.options.onHandBack?.(run.id);
      } else if (end === "finished") {
        // Callbacks are sent on their own time; this only schedules.
        if (run.hasCallback) expectCallback(run.id);
        void onRunEnded(run.id);
      }
      return end;
    } catch (err) {
      console.error(`[executor] run ${run.id} failed to execute:`, err);
      await expireLease(run.id, this.owner).catch(() => {});
      return "error";
    }
  }

  /** Stops a run executing here as cancelled; false if it is not here. */
  cancel(runId: number): boolean {
    const run = this.active.get(runId);
    if (!run) return false;
    run.abort.abort(CANCEL);
    return true;
  }

  /**
   * Graceful stop: no run started from now on is executed past its first pause point, the
   * running ones are paused (running steps finish, no new step starts) and handed back
   * when paused; after `graceMs` the rest are stopped and handed back at once.
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const run of this.active.values()) run.pause.abort();
    const all = () => Promise.allSettled([...this.active.values()].map((r) => r.done));
    if (this.active.size > 0) await Promise.race([all(), sleep(graceMs)]);
    for (const run of this.active.values()) run.abort.abort(HAND_BACK);
    // Aborted steps end promptly; do not wait for ever on one that ignores its signal.
    if (this.active.size > 0) await Promise.race([all(), sleep(3_000)]);
    this.stopTimers();
  }

  private startTimers(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.beat(), Math.max(100, Math.floor(LEASE_MS / 3)));
    this.heartbeat.unref?.();
    const pollMs = this.options.cancelPollMs ?? 0;
    if (pollMs > 0) {
      this.poll = setInterval(() => {
        // Only needed while the cross-process cancel signal is not connected.
        if (eventBusStatus().connected) return;
        void this.checkCancels();
      }, pollMs);
      this.poll.unref?.();
    }
    this.unsubscribe.push(
      subscribeRunCancel((runId) => void this.cancel(runId)),
      subscribeBusResync(() => void this.checkCancels()),
    );
  }

  private stopTimers(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.poll);
    this.heartbeat = this.poll = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private beating = false;

  private async beat(): Promise<void> {
    // One heartbeat at a time: a slow one is not overtaken by the next (they would lock the same rows).
    if (this.beating) return;
    this.beating = true;
    const ids = [...this.active.keys()];
    try {
      const { lost, cancelled } = await renewLeases(this.owner, ids);
      for (const id of lost) this.active.get(id)?.abort.abort(LEASE_LOST);
      for (const id of cancelled) this.active.get(id)?.abort.abort(CANCEL);
    } catch (err) {
      // The database is unreachable: the leases may lapse, and the writes are fenced.
      console.error("[executor] heartbeat failed:", (err as Error).message);
    } finally {
      this.beating = false;
    }
  }

  private async checkCancels(): Promise<void> {
    try {
      for (const id of await findCancelRequested([...this.active.keys()])) this.cancel(id);
    } catch {
      // the next heartbeat checks again
    }
  }
}
