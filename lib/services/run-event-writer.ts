/**
 * The single writer of one run's event log while an executor owns the run.
 *
 * Events get consecutive sequence numbers in memory and are written in batches, each batch
 * in one transaction together with the step rows and run fields it implies, and the run's
 * lastSeq. So the log is gap-free (seq is unique per run and only this writer assigns it),
 * and nothing is streamed before it is stored: listeners are notified after the commit.
 * A step's output is committed before the step's dependants start (flushNow is awaited).
 */
import { notifyRunEvents } from "../events/run-event-bus";
import { writeRunLogBatch, type EventRow, type RunPatch, type StepRow } from "./run-store";

export interface StepRunWrite {
  stepId: string;
  kind: string;
  status: string;
  attempts: number;
  output?: unknown;
  error?: unknown;
  tokens?: number;
  startedAt?: Date;
  finishedAt?: Date;
}


/** How long chatty events (text chunks, logs) may wait to be batched. */
const FLUSH_DELAY_MS = 15;

interface PendingBatch {
  events: EventRow[];
  steps: StepRow[];
  runPatch: RunPatch;
  outputs: string | undefined;
  /** Set once a write of this batch is queued; every flushNow until it starts shares it. */
  written?: Promise<void>;
}

const emptyBatch = (): PendingBatch => ({ events: [], steps: [], runPatch: {}, outputs: undefined });

export class RunEventWriter {
  /** What the next write takes; it keeps growing until that write starts. */
  private pending: PendingBatch = emptyBatch();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The write in progress (one at a time, in order). */
  private writing: Promise<void> = Promise.resolve();
  /**
   * The first failed write's error. Later batches carry later seqs: writing one after a
   * failed batch would leave a hole in the log, so every later write fails with it too
   * (the execution stops, and whoever resumes the run continues from the stored lastSeq).
   */
  private failure: { error: unknown } | null = null;

  /**
   * `leaseOwner`: write only while the run is leased to this owner (an executor that lost
   * its lease to another one cannot write over it; its flushes reject with LeaseLostError).
   */
  constructor(
    private readonly runId: number,
    private readonly workspaceId: number,
    private seq: number,
    private readonly leaseOwner?: string,
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  /** Queues one event (and what it implies) and returns its sequence number. */
  append(type: string, data: unknown, extra: { step?: StepRunWrite; run?: RunPatch; outputs?: unknown } = {}): number {
    this.seq += 1;
    const batch = this.pending;
    batch.events.push({ seq: this.seq, type, data: JSON.stringify(data ?? {}), createdAt: new Date() });
    if (extra.step) {
      const s = extra.step;
      batch.steps.push({
        stepId: s.stepId, kind: s.kind, status: s.status, attempts: s.attempts,
        output: s.output === undefined ? null : JSON.stringify(s.output),
        error: s.error === undefined ? null : JSON.stringify(s.error),
        tokens: s.tokens ?? 0, startedAt: s.startedAt, finishedAt: s.finishedAt,
      });
    }
    if (extra.run) Object.assign(batch.runPatch, extra.run);
    if (extra.outputs !== undefined) batch.outputs = JSON.stringify(extra.outputs);
    if (!this.timer && !batch.written) this.timer = setTimeout(() => void this.flushNow().catch(() => {}), FLUSH_DELAY_MS);
    return this.seq;
  }

  /**
   * Writes everything queued so far; resolves once it is committed. While a write is in
   * progress, what is appended meanwhile waits and then goes in one write: when writes are
   * slower than the flush delay (a busy database), batches grow instead of queueing up.
   */
  flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    if (!batch.written) {
      batch.written = this.writing.then(() => {
        // From here on appends go to the next batch.
        if (this.pending === batch) this.pending = emptyBatch();
        if (this.failure) throw this.failure.error;
        return batch.events.length || batch.steps.length
          ? this.write(batch.events, batch.steps, batch.runPatch, batch.outputs).catch((error) => {
              this.failure ??= { error };
              throw error;
            })
          : undefined;
      });
      this.writing = batch.written.catch(() => {});
    }
    return batch.written;
  }

  private async write(events: EventRow[], steps: StepRow[], run: RunPatch, outputs: string | undefined): Promise<void> {
    await writeRunLogBatch({ runId: this.runId, workspaceId: this.workspaceId, events, steps, run, outputs, leaseOwner: this.leaseOwner });
    const lastSeq = events.at(-1)?.seq;
    if (lastSeq) notifyRunEvents(this.runId, lastSeq, events[events.length - 1].type === "run_finished");
  }
}
