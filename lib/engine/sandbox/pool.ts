/**
 * A small pool of worker threads that run user JavaScript in QuickJS (see sandbox-worker.mjs).
 * The host's event loop never runs user code; a worker that stops answering is terminated
 * and replaced.
 */
import os from "node:os";
import path from "node:path";
import type { Worker as WorkerType } from "node:worker_threads";

// Loaded at run time rather than imported: bundlers (Next.js) rewrite `new Worker(path)` into a
// bundled worker chunk, but this worker must be the plain file on disk (see sandboxWorkerPath).
const { Worker } = process.getBuiltinModule("node:worker_threads") as typeof import("node:worker_threads");
type Worker = WorkerType;

/** One evaluation request. `inputs` and `steps` are JSON texts. */
export interface SandboxJob {
  code: string;
  inputs: string;
  steps: string;
  /** JSON object of extra globals (a map's `item` and `index`). */
  extra?: string;
  timeoutMs: number;
  memoryMb: number;
}

/** Outcome of one evaluation; `output` is JSON text. */
export type SandboxResult =
  | { ok: true; output: string }
  | { ok: false; code: "code_error" | "timeout" | "memory_limit" | "cancelled" | "sandbox_error"; message: string };

/** Per-call hooks: abort signal and a sink for console lines. */
export interface SandboxRunOptions {
  signal?: AbortSignal;
  onLog?: (level: "debug" | "info" | "warn" | "error", message: string) => void;
}

/** Grace period past the job's own deadline before the worker is killed. */
const KILL_GRACE_MS = 1000;
/** After a cancel request, how long the interrupt handler gets before the worker is killed. */
const CANCEL_GRACE_MS = 500;
/**
 * Jobs handed to one worker at a time: the one it runs and the next, waiting in its message
 * queue. The worker then starts the next job as soon as it finishes one, instead of idling
 * until this thread's event loop (busy serving requests) has read the result and sent more.
 */
const JOBS_PER_WORKER = 2;
/** Cells of a worker's shared cancel array: ids of its jobs to interrupt (written round-robin). */
const CANCEL_CELLS = 4;

interface PendingJob {
  id: number;
  job: SandboxJob;
  options: SandboxRunOptions;
  resolve: (result: SandboxResult) => void;
  onAbort?: () => void;
  cancelTimer?: NodeJS.Timeout;
  /** Answered (a cancelled job may still occupy its worker until the worker answers too). */
  settled?: boolean;
}

interface Slot {
  worker: Worker;
  cancel: Int32Array;
  cancelCursor: number;
  /** Jobs handed to the worker, oldest first (it runs them in order, one at a time). */
  jobs: PendingJob[];
  /** Wall-clock backstop for the oldest job, armed when it became the oldest. */
  killTimer: NodeJS.Timeout | null;
}

/** Where the worker file lives on disk (not bundled: see the module comment in the worker). */
export function sandboxWorkerPath(): string {
  return path.join(/*turbopackIgnore: true*/ process.env.FLOWDECK_ROOT ?? process.cwd(), "lib/engine/sandbox/sandbox-worker.mjs");
}

/** Runs sandbox jobs on a fixed number of workers, queueing the rest in arrival order. */
export class SandboxPool {
  /** A null entry is a crashed worker, respawned when work arrives (no crash loop). */
  private readonly slots: (Slot | null)[] = [];
  private readonly queue: PendingJob[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number = Math.min(2, os.availableParallelism())) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Evaluates one job; never rejects (failures come back as `{ ok: false }`). */
  run(job: SandboxJob, options: SandboxRunOptions = {}): Promise<SandboxResult> {
    if (this.closed) return Promise.resolve({ ok: false, code: "sandbox_error", message: "The sandbox pool is shut down" });
    if (options.signal?.aborted) return Promise.resolve(cancelled());
    return new Promise<SandboxResult>((resolve) => {
      const pending: PendingJob = { id: this.nextId, job, options, resolve };
      this.nextId = this.nextId >= 0x3fffffff ? 1 : this.nextId + 1;
      if (options.signal) {
        pending.onAbort = () => this.abort(pending);
        options.signal.addEventListener("abort", pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.dispatch();
    });
  }

  /** Terminates every worker; queued and running jobs end with "sandbox_error". */
  async close(): Promise<void> {
    this.closed = true;
    const shutDown: SandboxResult = { ok: false, code: "sandbox_error", message: "The sandbox pool is shut down" };
    for (const pending of this.queue.splice(0)) this.settle(pending, shutDown);
    await Promise.all(
      this.slots.map((slot) => {
        if (!slot) return undefined;
        for (const pending of slot.jobs.splice(0)) this.settle(pending, shutDown);
        this.clearKill(slot);
        return slot.worker.terminate();
      }),
    );
    this.slots.length = 0;
  }

  private spawn(): Slot {
    const cancelBuffer = new SharedArrayBuffer(4 * CANCEL_CELLS);
    const worker = new Worker(sandboxWorkerPath(), {
      workerData: { cancel: cancelBuffer },
      env: {}, // the worker needs no host environment variables
    });
    const slot: Slot = { worker, cancel: new Int32Array(cancelBuffer), cancelCursor: 0, jobs: [], killTimer: null };
    worker.unref();
    worker.on("message", (msg: WorkerMessage) => this.onMessage(slot, msg));
    worker.on("error", (error) => this.onCrash(slot, `The sandbox worker failed (${sandboxWorkerPath()}): ${error.message}`));
    worker.on("exit", () => this.onCrash(slot, "The sandbox worker stopped unexpectedly"));
    return slot;
  }

  /** Hands queued jobs to workers, the least busy first, up to JOBS_PER_WORKER each. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best = -1;
      for (let i = 0; i < this.slots.length; i++) {
        const n = this.slots[i]?.jobs.length ?? 0;
        if (n < JOBS_PER_WORKER && (best < 0 || n < (this.slots[best]?.jobs.length ?? 0))) best = i;
      }
      if (best < 0) return;
      const slot = (this.slots[best] ??= this.spawn());
      const pending = this.queue.shift()!;
      slot.jobs.push(pending);
      if (slot.jobs.length === 1) {
        slot.worker.ref();
        this.armKill(slot);
      }
      const { code, inputs, steps, extra, timeoutMs, memoryMb } = pending.job;
      slot.worker.postMessage({ id: pending.id, code, inputs, steps, extra, timeoutMs, memoryMb });
    }
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    const index = slot.jobs.findIndex((p) => p.id === msg.id);
    if (index < 0) return; // a late message from a job already settled
    const pending = slot.jobs[index];
    if (msg.type === "log") {
      pending.options.onLog?.(msg.level, msg.message);
      return;
    }
    slot.jobs.splice(index, 1);
    if (index === 0) this.armKill(slot);
    if (slot.jobs.length === 0) slot.worker.unref();
    if (msg.logs && !pending.settled) for (const line of msg.logs) pending.options.onLog?.(line.level, line.message);
    this.settle(pending, msg.ok ? { ok: true, output: msg.output } : { ok: false, code: msg.code, message: msg.message });
    this.dispatch();
  }

  private abort(pending: PendingJob): void {
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(pending, cancelled());
      return;
    }
    const slot = this.slots.find((s) => s?.jobs.includes(pending));
    if (!slot) return;
    // The caller hears at once; the worker's interrupt handler stops the job (running, or as it
    // starts) on seeing its id, and answers; the job keeps its place in the slot until then.
    Atomics.store(slot.cancel, slot.cancelCursor, pending.id);
    slot.cancelCursor = (slot.cancelCursor + 1) % CANCEL_CELLS;
    this.settle(pending, cancelled());
    // If the interrupt handler does not get a chance (a long native call), kill the worker.
    const wait = CANCEL_GRACE_MS + (slot.jobs[0] === pending ? 0 : slot.jobs[0].job.timeoutMs + KILL_GRACE_MS);
    pending.cancelTimer = setTimeout(() => {
      if (slot.jobs.includes(pending)) this.kill(slot, pending, cancelled());
    }, wait);
  }

  /**
   * Terminates the worker, answers `victim` with `result`, and puts a fresh worker in its place.
   * Its other jobs go back to the front of the queue: code steps have no side effects, so
   * running one again elsewhere is safe (a log line it wrote may repeat).
   */
  private kill(slot: Slot, victim: PendingJob, result: SandboxResult): void {
    const others = slot.jobs.filter((p) => p !== victim && !p.settled);
    this.discard(slot, true);
    this.settle(victim, result);
    this.queue.unshift(...others);
    this.dispatch();
  }

  private onCrash(slot: Slot, message: string): void {
    if (this.closed || !this.slots.includes(slot)) return;
    const jobs = slot.jobs.splice(0);
    this.discard(slot, false);
    for (const pending of jobs) this.settle(pending, { ok: false, code: "sandbox_error", message });
    this.dispatch();
  }

  /** Drops a worker; a killed one is replaced at once, a crashed one when work arrives. */
  private discard(slot: Slot, respawn: boolean): void {
    this.clearKill(slot);
    slot.jobs = [];
    slot.worker.removeAllListeners();
    slot.worker.on("error", () => {}); // errors while terminating are expected
    void slot.worker.terminate();
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots[index] = respawn && !this.closed ? this.spawn() : null;
  }

  /** The oldest job gets its deadline plus a grace period from now; then the worker is killed. */
  private armKill(slot: Slot): void {
    this.clearKill(slot);
    const oldest = slot.jobs[0];
    if (!oldest) return;
    slot.killTimer = setTimeout(() => this.kill(slot, oldest, timedOut(oldest.job.timeoutMs)), oldest.job.timeoutMs + KILL_GRACE_MS);
  }

  private clearKill(slot: Slot): void {
    if (slot.killTimer) clearTimeout(slot.killTimer);
    slot.killTimer = null;
  }

  private settle(pending: PendingJob, result: SandboxResult): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.onAbort) pending.options.signal?.removeEventListener("abort", pending.onAbort);
    if (pending.cancelTimer) clearTimeout(pending.cancelTimer);
    pending.resolve(result);
  }
}

type WorkerMessage =
  | { id: number; type: "log"; level: "debug" | "info" | "warn" | "error"; message: string }
  | { id: number; type: "result"; ok: true; output: string; logs?: LogLine[] }
  | { id: number; type: "result"; ok: false; code: "code_error" | "timeout" | "memory_limit" | "cancelled"; message: string; logs?: LogLine[] };

/** Lines a job logged early, sent with its result. */
type LogLine = { level: "debug" | "info" | "warn" | "error"; message: string };

function cancelled(): SandboxResult {
  return { ok: false, code: "cancelled", message: "The step was cancelled" };
}

function timedOut(timeoutMs: number): SandboxResult {
  return { ok: false, code: "timeout", message: `Step exceeded its time limit of ${timeoutMs} ms` };
}

// On globalThis: Next.js may load this module in more than one bundle of one process, and
// the pool warmed at start-up must be the one the runs use.
const holder = globalThis as unknown as { flowdeckSandboxPool?: SandboxPool | null };

/** The process-wide pool, started on first use. */
export function getSandboxPool(): SandboxPool {
  holder.flowdeckSandboxPool ??= new SandboxPool();
  return holder.flowdeckSandboxPool;
}

/** Stops the process-wide pool (tests call this in afterAll; the next use starts a new one). */
export async function shutdownSandboxPool(): Promise<void> {
  const pool = holder.flowdeckSandboxPool;
  holder.flowdeckSandboxPool = null;
  if (pool) await pool.close();
}
