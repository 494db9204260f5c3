/**
 * One shared reader per followed run in this process. Without it, N viewers of one run each
 * query the event log on every notification (N queries, N JSON parses); with it, followers
 * that have caught up with the log share one read per notification and take the new frames
 * from a small buffer. A follower that is behind the buffer (replaying old events, or too
 * slow) reads the database itself, as before: the buffer is an optimisation, never the
 * source of truth.
 *
 * Frames handed out from the buffer are shared between followers, so they are frozen.
 */
import type { RunEventFrame } from "../schemas/run";
import { listRunEventsAfter } from "../services/run-events";

export const TAIL_PAGE = 1000;
/** At most this many frames are kept (beyond that, the slowest followers read for themselves). */
const KEEP = 3 * TAIL_PAGE;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class RunTail {
  /** Contiguous frames, ascending; the last one has seq `headSeq`. */
  private frames: RunEventFrame[] = [];
  /** The seq the buffer ends at; -1 before anything is known. */
  private headSeq = -1;
  /** Where each follower is (its last seq), to drop frames every one of them has had. */
  private readonly positions = new Map<object, number>();
  private reading: Promise<boolean> | null = null;
  /** When the read under way started (performance.now()). */
  private readingSince = 0;
  private queued: Promise<boolean> | null = null;
  /** Shared database reads made (for tests and diagnostics). */
  reads = 0;

  constructor(readonly runId: number) {}

  get followers(): number {
    return this.positions.size;
  }

  join(follower: object): void {
    this.positions.set(follower, -1);
  }

  leave(follower: object): void {
    this.positions.delete(follower);
  }

  /**
   * Up to `limit` buffered frames after `afterSeq`; [] when the buffer has none yet (call
   * refresh()); null when the buffer does not reach back to `afterSeq` (read the database).
   */
  buffered(follower: object, afterSeq: number, limit = TAIL_PAGE): RunEventFrame[] | null {
    this.positions.set(follower, afterSeq);
    if (afterSeq > this.headSeq) {
      // This follower got ahead of the buffer on its own (it read the log itself while
      // behind). Others still inside the buffer need it: keep it, and let a refresh extend
      // it up to here. Restarting it here would push them all out to read for themselves,
      // and they in turn would get ahead and restart it: with many viewers that fell behind,
      // every one of them ends up reading (and holding) its own pages of the log.
      if (this.othersInside(follower)) return [];
      // Nobody was at the tail yet: the buffer restarts here, unless a read that started
      // elsewhere is still under way.
      if (this.reading) return null;
      this.frames = [];
      this.headSeq = afterSeq;
      return [];
    }
    const first = this.headSeq - this.frames.length + 1;
    if (afterSeq + 1 < first) return null;
    const start = afterSeq + 1 - first;
    return this.frames.slice(start, start + limit);
  }

  /** Whether a follower other than `follower` is inside the buffer and not yet at its end. */
  private othersInside(follower: object): boolean {
    if (this.frames.length === 0) return false;
    const first = this.headSeq - this.frames.length + 1;
    for (const [other, seq] of this.positions) {
      if (other !== follower && seq >= first - 1 && seq < this.headSeq) return true;
    }
    return false;
  }

  /**
   * A read of the log after the buffer's end that started at or after `since` (a
   * performance.now() time: when the caller heard of new events), so it sees everything
   * committed before then. Followers woken by the same notification share one read.
   * Resolves true when that read reached the end of the log, false when there may be more
   * (it read a full page).
   */
  refresh(since: number): Promise<boolean> {
    if (this.reading && this.readingSince >= since) return this.reading;
    if (!this.reading) {
      this.readingSince = performance.now();
      this.reading = this.readPage().finally(() => (this.reading = null));
      return this.reading;
    }
    // The read under way started before the caller's news: the next one is theirs.
    this.queued ??= this.reading.then(
      () => this.afterQueued(),
      () => this.afterQueued(),
    );
    return this.queued;
  }

  private afterQueued(): Promise<boolean> {
    this.queued = null;
    return this.refresh(0);
  }

  private async readPage(): Promise<boolean> {
    const from = this.headSeq;
    this.reads++;
    const page = await listRunEventsAfter(this.runId, from, TAIL_PAGE);
    // The buffer may have restarted further on meanwhile: keep only what continues it.
    const fresh = page.filter((f) => f.seq > this.headSeq);
    if (fresh.length && fresh[0].seq === this.headSeq + 1) {
      for (const frame of fresh) this.frames.push(deepFreeze(frame));
      this.headSeq = fresh[fresh.length - 1].seq;
      this.trim();
    }
    return page.length < TAIL_PAGE;
  }

  /** Drops frames every follower inside the buffer has had, and anything beyond KEEP. */
  private trim(): void {
    const first = this.headSeq - this.frames.length + 1;
    let keepFrom = this.headSeq + 1;
    for (const seq of this.positions.values()) {
      if (seq + 1 >= first) keepFrom = Math.min(keepFrom, seq + 1);
    }
    keepFrom = Math.max(keepFrom, this.headSeq + 1 - KEEP);
    if (keepFrom > first) this.frames.splice(0, keepFrom - first);
  }
}

const globalForTails = globalThis as unknown as { flowdeckRunTails?: Map<number, RunTail> };
// Kept on globalThis: Next.js may load this module in more than one bundle of one process.
const tails = (globalForTails.flowdeckRunTails ??= new Map());

/** The run's shared reader, for `follower`; call the returned release when done. */
export function acquireRunTail(runId: number, follower: object): { tail: RunTail; release: () => void } {
  let tail = tails.get(runId);
  if (!tail) tails.set(runId, (tail = new RunTail(runId)));
  tail.join(follower);
  const owned = tail;
  return {
    tail: owned,
    release: () => {
      owned.leave(follower);
      if (owned.followers === 0 && tails.get(runId) === owned) tails.delete(runId);
    },
  };
}

/** The shared reader of a run, when someone follows it here (tests and diagnostics). */
export function runTailOf(runId: number): RunTail | undefined {
  return tails.get(runId);
}
