/**
 * The hot writes to SQLite, on a thread of their own (sqlite-writer-worker.mjs).
 *
 * A run's writes (its row, then batches of its event log) are most of what SQLite does under
 * load, and better-sqlite3 runs each statement synchronously on the calling thread: on the
 * thread that serves requests they took about a sixth of its time at 16 concurrent runs. Here
 * a write is described as data (a `WriteProgram`: statements and parameters) and sent to a
 * thread with its own connection, which commits the writes that arrive together in one
 * transaction (group commit), each in its own savepoint.
 *
 * The thread's connection and Prisma's are two connections to one file: SQLite's locks order
 * them, and Prisma's transactions take the write lock when they begin (BEGIN IMMEDIATE, see
 * sqlite-statement-cache.ts), so a transaction that read first can never fail at its first
 * write because this thread committed in between. Reads on Prisma's connection see a write as
 * soon as its promise resolves (the commit precedes the answer).
 */
import path from "node:path";
import type { Worker as WorkerType } from "node:worker_threads";

/**
 * Batches sent before the previous one is answered: the thread starts the next commit at once
 * instead of idling for a round trip through this thread's event loop (which may be busy).
 */
const MAX_IN_FLIGHT = 2;

// Loaded at run time, not imported: a bundler would rewrite `new Worker(path)` (see the sandbox pool).
const { Worker } = process.getBuiltinModule("node:worker_threads") as typeof import("node:worker_threads");

/** A parameter taken from an earlier statement of the same write: `column` of its first returned row. */
export interface RowRef {
  fromStatement: number;
  column: string;
}

/** Parameters are SQLite values (string, number, bigint, null, bytes) or a RowRef. */
export type WriteParam = string | number | bigint | null | Uint8Array | RowRef;

export interface WriteStatement {
  sql: string;
  params: readonly WriteParam[];
  /** The whole write fails with NoRowChangedError(tag) when this statement changes (or returns) no row. */
  mustChange?: string;
}

/** One atomic write: its statements in order; it resolves to `result`'s value (if given). */
export interface WriteProgram {
  statements: WriteStatement[];
  result?: RowRef;
}

/** A `mustChange` statement changed nothing: the write was rolled back. */
export class NoRowChangedError extends Error {
  constructor(readonly tag: string) {
    super(`The write changed no row (${tag})`);
    this.name = "NoRowChangedError";
  }
}

/** How one write went (plain data: it crosses threads). */
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; code?: string; noRowChanged?: string } };

/**
 * Commits a batch on the calling thread instead (the server's own connection), when that is
 * cheaper: see `SqliteWriterOptions.local`.
 */
export type LocalWrite = (programs: WriteProgram[]) => Promise<WriteOutcome[]>;

export interface SqliteWriterOptions {
  busyTimeoutMs?: number;
  /**
   * While writes come one at a time (none in flight or queued when the next arrives), a
   * batch is committed by `local` rather than sent: a lone write then costs no hand-over to
   * the thread and back (two thread wake-ups, about 0.2–0.4 ms here), which is what a single
   * request waits for. Once writes overlap, they go to the thread.
   */
  local?: LocalWrite;
}

/** Share of recent writes that found others in flight or queued, above which none are committed locally. */
const LOCAL_MAX_OVERLAP = 0.2;
/** Weight of the newest write in that share (an exponential moving average). */
const OVERLAP_WEIGHT = 0.05;

interface Pending {
  program: WriteProgram;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Where the worker file lives on disk. */
export function writerWorkerPath(): string {
  return path.join(/*turbopackIgnore: true*/ process.env.FLOWDECK_ROOT ?? process.cwd(), "lib/db/sqlite-writer-worker.mjs");
}

/**
 * One writer thread for one database file. Writes queue while a batch is being committed and
 * go together in the next one; a batch is sent once the event loop has had a turn, so the
 * writes of one tick share a commit even when the thread is idle.
 */
export class SqliteWriter {
  private worker: WorkerType | null = null;
  private queue: Pending[] = [];
  /** Batches being committed, by id (the thread's or the local path's). */
  private inFlight = new Map<number, Pending[]>();
  /** The ids of those sent to the thread (its answers name them). */
  private sentToThread = new Set<number>();
  private scheduled = false;
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;
  private readonly busyTimeoutMs: number;
  /** Batches committed (one transaction each), how many of them locally, and the writes in them. */
  readonly stats = { batches: 0, local: 0, writes: 0 };
  /** Moving share of writes that arrived while others were in flight or queued. */
  private overlap = 0;

  constructor(private readonly file: string, private readonly options: SqliteWriterOptions = {}) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  }

  write<T = unknown>(program: WriteProgram): Promise<T> {
    if (this.closing) return Promise.reject(new Error("The SQLite writer is closed"));
    const overlapped = this.inFlight.size > 0 || this.queue.length > 0 ? 1 : 0;
    this.overlap += OVERLAP_WEIGHT * (overlapped - this.overlap);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ program, resolve: resolve as (value: unknown) => void, reject });
      if (this.inFlight.size < MAX_IN_FLIGHT && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  /** Waits for the queued writes, then closes the thread's connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight.size || this.queue.length) await new Promise<void>((resolve) => (this.drained = resolve));
      const worker = this.worker;
      this.worker = null;
      if (!worker) return;
      await new Promise<void>((resolve) => {
        worker.once("exit", () => resolve());
        worker.postMessage({ type: "stop" });
        setTimeout(() => void worker.terminate().catch(() => {}), 2_000).unref();
      });
    })();
    return this.closing;
  }

  private thread(): WorkerType {
    if (this.worker) return this.worker;
    const worker: WorkerType = new Worker(writerWorkerPath(), { workerData: { file: this.file, busyTimeoutMs: this.busyTimeoutMs }, env: {} });
    worker.on("message", (msg: { id: number; outcomes: WriteOutcome[] }) => {
      this.sentToThread.delete(msg.id);
      this.answer(msg.id, msg.outcomes);
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      // Whether those batches committed is unknown; their callers get an error (the next write starts a new thread).
      for (const id of this.sentToThread) {
        const batch = this.inFlight.get(id) ?? [];
        this.inFlight.delete(id);
        this.fail(batch, new Error(`The SQLite writer thread stopped: ${reason}`));
      }
      this.sentToThread.clear();
      this.send();
    };
    worker.on("error", (error) => lost(error.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private send(): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) return;
    if (this.queue.length === 0) {
      if (this.inFlight.size === 0) {
        this.worker?.unref(); // an idle writer does not keep the process alive
        this.drained?.();
      }
      return;
    }
    const batch = this.queue;
    this.queue = [];
    const id = this.nextId++;
    const nothingInFlight = this.inFlight.size === 0;
    this.inFlight.set(id, batch);
    this.stats.batches += 1;
    this.stats.writes += batch.length;
    const programs = batch.map((p) => p.program);
    const local = this.options.local;
    if (local && nothingInFlight && !this.closing && this.overlap < LOCAL_MAX_OVERLAP) {
      this.stats.local += 1;
      local(programs).then(
        (outcomes) => this.answer(id, outcomes),
        (error) => {
          this.inFlight.delete(id);
          this.fail(batch, error);
          this.send();
        },
      );
      return;
    }
    try {
      const worker = this.thread();
      worker.ref();
      this.sentToThread.add(id);
      worker.postMessage({ id, programs });
    } catch (error) {
      this.inFlight.delete(id);
      this.fail(batch, error);
    }
  }

  private answer(id: number, outcomes: WriteOutcome[]): void {
    const batch = this.inFlight.get(id) ?? [];
    this.inFlight.delete(id);
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(toError(outcome.error));
    });
    this.send();
  }

  private fail(batch: Pending[], error: unknown): void {
    for (const item of batch) item.reject(error);
  }
}

/** The thread's error as an Error here, with SQLite's code kept (callers recognise constraint failures by it). */
function toError(e: { name: string; message: string; code?: string; noRowChanged?: string }): Error {
  if (e.noRowChanged !== undefined) return new NoRowChangedError(e.noRowChanged);
  return Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
}
