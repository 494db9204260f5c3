/**
 * The single writer of one run's event log while an executor owns the run.
 *
 * Events get consecutive sequence numbers in memory and are written in batches, each batch
 * in one transaction together with the step rows and run fields it implies, and the run's
 * lastSeq. So the log is gap-free (seq is unique per run and only this writer assigns it),
 * and nothing is streamed before it is stored: listeners are notified after the commit.
 * A step's output is committed before the step's dependants start (flushNow is awaited).
 */
import { db } from "../db/client";
import { notifyRunEvents } from "../events/run-event-bus";

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

type RunPatch = Parameters<typeof db.run.update>[0]["data"];

/** How long chatty events (text chunks, logs) may wait to be batched. */
const FLUSH_DELAY_MS = 15;

export class RunEventWriter {
  private events: { runId: number; seq: number; workspaceId: number; type: string; data: string; createdAt: Date }[] = [];
  private steps: StepRunWrite[] = [];
  private runPatch: RunPatch = {};
  private outputs: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly runId: number,
    private readonly workspaceId: number,
    private seq: number,
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  /** Queues one event (and what it implies) and returns its sequence number. */
  append(type: string, data: unknown, extra: { step?: StepRunWrite; run?: RunPatch; outputs?: unknown } = {}): number {
    this.seq += 1;
    this.events.push({
      runId: this.runId, seq: this.seq, workspaceId: this.workspaceId, type,
      data: JSON.stringify(data ?? {}), createdAt: new Date(),
    });
    if (extra.step) this.steps.push(extra.step);
    if (extra.run) Object.assign(this.runPatch, extra.run);
    if (extra.outputs !== undefined) this.outputs = JSON.stringify(extra.outputs);
    if (!this.timer) this.timer = setTimeout(() => void this.flushNow().catch(() => {}), FLUSH_DELAY_MS);
    return this.seq;
  }

  /** Writes everything queued so far; resolves once it is committed. */
  flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const events = this.events;
    const steps = this.steps;
    const runPatch = this.runPatch;
    const outputs = this.outputs;
    this.events = [];
    this.steps = [];
    this.runPatch = {};
    this.outputs = undefined;
    const next = this.writing.then(() => (events.length || steps.length ? this.write(events, steps, runPatch, outputs) : undefined));
    this.writing = next.catch(() => {});
    return next;
  }

  private async write(
    events: RunEventWriter["events"],
    steps: StepRunWrite[],
    runPatch: RunPatch,
    outputs: string | undefined,
  ): Promise<void> {
    const lastSeq = events.length ? events[events.length - 1].seq : undefined;
    const ops = [
      db.runEvent.createMany({ data: events }),
      ...steps.map((s) => {
        const fields = {
          kind: s.kind, status: s.status, attempts: s.attempts,
          output: s.output === undefined ? null : JSON.stringify(s.output),
          error: s.error === undefined ? null : JSON.stringify(s.error),
          tokens: s.tokens ?? 0, startedAt: s.startedAt, finishedAt: s.finishedAt,
        };
        return db.stepRun.upsert({
          where: { runId_stepId: { runId: this.runId, stepId: s.stepId } },
          create: { runId: this.runId, workspaceId: this.workspaceId, stepId: s.stepId, ...fields },
          update: fields,
        });
      }),
      db.run.update({ where: { id: this.runId }, data: { ...runPatch, ...(lastSeq ? { lastSeq } : {}) } }),
      ...(outputs !== undefined ? [db.runPayload.update({ where: { runId: this.runId }, data: { outputs } })] : []),
    ];
    await db.$transaction(ops);
    if (lastSeq) notifyRunEvents(this.runId, lastSeq);
  }
}
