/**
 * The run page's state, derived only from the stored event frames (the same ones every
 * transport sends). Applying a frame twice changes nothing: a frame at or below lastSeq is
 * skipped, also inside one batch, so replays and reconnects never duplicate lines.
 *
 * A batch of frames is applied in one pass and only the parts it touches get new
 * identities: a batch of text chunks leaves `steps` and `logs` as they were, so the
 * timeline and the log list (memoised on them) do not re-render for tokens.
 */
import type { RunEventFrame } from "@/lib/schemas/run";

export interface LogLine {
  seq: number;
  stepId: string;
  level: string;
  message: string;
  at: string;
}

export interface StepView {
  id: string;
  kind: string;
  name: string;
  status: string;
  attempts: number;
  /** When each attempt started (a retried step has several), oldest first. */
  attemptStarts: string[];
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  output?: unknown;
  error?: { code: string; message: string };
  /** Why a skipped step did not run. */
  skipReason?: string;
  progress?: number;
  progressMessage?: string;
  tokens?: number;
  /** Not run here: a re-run from a later step kept this step's output from the run it re-ran. */
  reused?: boolean;
}

export interface RunViewState {
  status: string;
  lastSeq: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  totalTokens: number;
  outputs?: Record<string, unknown> | null;
  error?: { code: string; message: string; step_id?: string } | null;
  steps: StepView[];
  /** Streamed text by step id (kept apart from `steps`, see above). */
  texts: Record<string, string>;
  logs: LogLine[];
  /** run_finished was applied: nothing more will come. */
  ended: boolean;
  /** A cancel was asked for from this page and the run has not ended yet. */
  cancelRequested?: boolean;
}

/** A step a re-run kept from its parent run (shown as reused, with the parent's timing). */
export interface ReusedStepView {
  stepId: string;
  output: unknown;
  durationMs?: number;
}

export function initialRunViewState(
  stepSpecs: { id: string; kind: string; name?: string }[],
  status: string,
  reused: ReusedStepView[] = [],
): RunViewState {
  const kept = new Map(reused.map((r) => [r.stepId, r]));
  return {
    status,
    lastSeq: 0,
    totalTokens: 0,
    steps: stepSpecs.map((s) => {
      const r = kept.get(s.id);
      const base: StepView = { id: s.id, kind: s.kind, name: s.name ?? s.id, status: "pending", attempts: 0, attemptStarts: [] };
      return r ? { ...base, status: "succeeded", reused: true, output: r.output, durationMs: r.durationMs } : base;
    }),
    texts: {},
    logs: [],
    ended: false,
  };
}

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function applyRunEvents(state: RunViewState, frames: readonly RunEventFrame[]): RunViewState {
  let next: RunViewState | null = null;
  let steps: StepView[] | null = null;
  let logs: LogLine[] | null = null;
  let texts: Record<string, string> | null = null;
  // Text pieces per step, joined once at the end of the batch.
  const pieces = new Map<string, string[]>();
  let lastSeq = state.lastSeq;

  const patchStep = (id: string, patch: (s: StepView) => Partial<StepView>) => {
    steps ??= [...state.steps];
    const i = steps.findIndex((s) => s.id === id);
    if (i === -1) {
      const fresh: StepView = { id, kind: "?", name: id, status: "pending", attempts: 0, attemptStarts: [] };
      steps.push({ ...fresh, ...patch(fresh) });
    } else {
      steps[i] = { ...steps[i], ...patch(steps[i]) };
    }
  };

  for (const frame of frames) {
    if (frame.seq <= lastSeq) continue;
    lastSeq = frame.seq;
    next ??= { ...state };
    const d = frame.data as Data;
    switch (frame.type) {
      case "run_started":
        next.status = "running";
        next.startedAt ??= frame.at;
        break;
      case "step_started":
        patchStep(d.step_id, (s) => ({
          status: "running", startedAt: s.startedAt ?? frame.at, attempts: d.attempt ?? 1, kind: d.kind ?? s.kind,
          attemptStarts: [...s.attemptStarts, frame.at], error: undefined, finishedAt: undefined, reused: false,
        }));
        break;
      case "step_finished":
        patchStep(d.step_id, (s) => ({
          status: d.status, finishedAt: frame.at, durationMs: d.duration_ms, output: d.output, error: d.error, skipReason: d.reason,
          attempts: d.attempts ?? s.attempts, startedAt: s.startedAt ?? frame.at, tokens: d.tokens, progress: undefined,
          attemptStarts: s.attemptStarts.length ? s.attemptStarts : [s.startedAt ?? frame.at],
        }));
        break;
      case "text_chunk": {
        const list = pieces.get(d.step_id);
        if (list) list.push(d.text);
        else pieces.set(d.step_id, [d.text]);
        break;
      }
      case "progress":
        patchStep(d.step_id, () => ({ progress: d.fraction, progressMessage: d.message }));
        break;
      case "log":
        logs ??= [...state.logs];
        logs.push({ seq: frame.seq, stepId: d.step_id, level: d.level, message: d.message, at: frame.at });
        break;
      case "run_finished":
        Object.assign(next, {
          status: d.status, finishedAt: frame.at, durationMs: d.duration_ms, totalTokens: d.total_tokens ?? 0,
          outputs: d.outputs ?? null, error: d.error ?? null, ended: true, cancelRequested: false,
        });
        break;
    }
  }
  if (!next) return state;
  if (pieces.size) {
    texts = { ...state.texts };
    for (const [id, list] of pieces) texts[id] = (texts[id] ?? "") + list.join("");
  }
  next.lastSeq = lastSeq;
  if (steps) next.steps = steps;
  if (logs) next.logs = logs;
  if (texts) next.texts = texts;
  return next;
}
