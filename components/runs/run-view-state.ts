/**
 * The run page's state, derived only from the stored event frames (the same ones every
 * transport sends). Applying a frame twice changes nothing: frames at or below lastSeq
 * are ignored, so replays and reconnects never duplicate lines.
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
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  output?: unknown;
  error?: { code: string; message: string };
  /** Why a skipped step did not run. */
  skipReason?: string;
  text: string;
  progress?: number;
  progressMessage?: string;
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
  logs: LogLine[];
}

export function initialRunViewState(
  stepSpecs: { id: string; kind: string; name?: string }[],
  status: string,
): RunViewState {
  return {
    status,
    lastSeq: 0,
    totalTokens: 0,
    steps: stepSpecs.map((s) => ({ id: s.id, kind: s.kind, name: s.name ?? s.id, status: "pending", attempts: 0, text: "" })),
    logs: [],
  };
}

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function applyRunEvents(state: RunViewState, frames: RunEventFrame[]): RunViewState {
  const fresh = frames.filter((f) => f.seq > state.lastSeq);
  if (fresh.length === 0) return state;
  let next: RunViewState = { ...state, steps: [...state.steps], logs: state.logs };
  const patchStep = (id: string, patch: (s: StepView) => Partial<StepView>) => {
    const i = next.steps.findIndex((s) => s.id === id);
    if (i === -1) next.steps.push({ id, kind: "?", name: id, status: "pending", attempts: 0, text: "", ...patch({} as StepView) });
    else next.steps[i] = { ...next.steps[i], ...patch(next.steps[i]) };
  };
  for (const frame of fresh) {
    const d = frame.data as Data;
    switch (frame.type) {
      case "run_started":
        next = { ...next, status: "running", startedAt: next.startedAt ?? frame.at };
        break;
      case "step_started":
        patchStep(d.step_id, () => ({ status: "running", startedAt: frame.at, attempts: d.attempt ?? 1, kind: d.kind }));
        break;
      case "step_finished":
        patchStep(d.step_id, (s) => ({
          status: d.status, finishedAt: frame.at, durationMs: d.duration_ms, output: d.output, error: d.error, skipReason: d.reason,
          attempts: d.attempts ?? s.attempts, startedAt: s.startedAt ?? frame.at,
        }));
        break;
      case "text_chunk":
        patchStep(d.step_id, (s) => ({ text: (s.text ?? "") + d.text }));
        break;
      case "progress":
        patchStep(d.step_id, () => ({ progress: d.fraction, progressMessage: d.message }));
        break;
      case "log":
        next.logs = [...next.logs, { seq: frame.seq, stepId: d.step_id, level: d.level, message: d.message, at: frame.at }];
        break;
      case "run_finished":
        next = {
          ...next, status: d.status, finishedAt: frame.at, durationMs: d.duration_ms, totalTokens: d.total_tokens ?? 0,
          outputs: d.outputs ?? null, error: d.error ?? null,
        };
        break;
    }
    next.lastSeq = frame.seq;
  }
  return next;
}
