/**
 * What a share link's viewer gets of a run's event log.
 *
 * A shared page shows the run's result, not its workings: step outputs are never sent (they
 * can quote the inputs — a template step's output is its filled-in template — or carry data a
 * step fetched with a workspace secret). Without "include inputs", the free text that steps
 * write (streamed text, log lines, progress messages) is dropped as well, since it can quote
 * the inputs too. What is left: the timeline (steps started and finished, status, timing,
 * attempts, tokens, errors) and the final outputs. Fields are allow-listed per event type,
 * so a field added to an event later stays private until it is listed here.
 *
 * Dropped events leave gaps in the seq numbers a viewer sees; ids are still the stored seqs,
 * so Last-Event-ID resumes exactly where the viewer stopped.
 */
import { followRunEvents } from "../events/follow-run-events";
import type { RunEventFrame } from "../schemas/run";

export interface SharedView {
  includeInputs: boolean;
}

const ALWAYS: Record<string, readonly string[]> = {
  run_started: ["total_steps"],
  step_started: ["step_id", "kind", "attempt"],
  step_finished: ["step_id", "kind", "status", "reason", "error", "duration_ms", "attempts", "tokens"],
  progress: ["step_id", "fraction"],
  run_finished: ["status", "outputs", "error", "duration_ms", "total_steps", "total_tokens"],
};

/** Extra fields, and whole event types, shared only when the link includes the inputs. */
const WITH_INPUTS: Record<string, readonly string[]> = {
  progress: ["message"],
  text_chunk: ["step_id", "text"],
  log: ["step_id", "level", "message"],
};

/** The frame as a shared viewer may see it, or null when it is not shared at all. */
export function filterSharedFrame(frame: RunEventFrame, view: SharedView): RunEventFrame | null {
  const fields = [...(ALWAYS[frame.type] ?? []), ...(view.includeInputs ? (WITH_INPUTS[frame.type] ?? []) : [])];
  if (fields.length === 0) return null;
  const data: Record<string, unknown> = {};
  for (const key of fields) if (key in frame.data) data[key] = frame.data[key];
  return { seq: frame.seq, type: frame.type, at: frame.at, data };
}

export function filterSharedFrames(frames: RunEventFrame[], view: SharedView): RunEventFrame[] {
  return frames.flatMap((f) => filterSharedFrame(f, view) ?? []);
}

/**
 * A run's events for a shared viewer, filtered, live until the run finishes — or until the
 * link stops working: `isLive` is asked every `recheckMs` while the stream is open, and a
 * revoked or expired link ends the stream (the viewer's reconnect then gets the 404).
 * A known expiry is also checked before each frame.
 */
export async function* followSharedRunEvents(
  runId: number,
  opts: {
    view: SharedView;
    afterSeq: number;
    signal?: AbortSignal;
    isLive: () => Promise<boolean>;
    recheckMs?: number;
    /** Known expiry: checked before every frame, with no query. */
    expiresAt?: Date | null;
  },
): AsyncGenerator<RunEventFrame> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (opts.signal?.aborted) return;
  opts.signal?.addEventListener("abort", onAbort);
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    opts
      .isLive()
      .then((live) => { if (!live) stop.abort(); })
      .catch(() => { /* a failed check is retried on the next tick */ })
      .finally(() => { checking = false; });
  }, opts.recheckMs ?? 3_000);
  try {
    for await (const frame of followRunEvents(runId, { afterSeq: opts.afterSeq, signal: stop.signal })) {
      if (opts.expiresAt && Date.now() >= opts.expiresAt.getTime()) return;
      const shown = filterSharedFrame(frame, opts.view);
      if (shown) yield shown;
    }
  } finally {
    clearInterval(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
