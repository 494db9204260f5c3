/**
 * A run's stored events as an async sequence: everything after `afterSeq`, then new events
 * as the bus announces them, ending after `run_finished` (or when `signal` aborts). Every
 * streaming transport — Flowdeck's SSE and the compatibility streams — reads through this,
 * so each one gets every event exactly once and in order.
 */
import { getRunLogPosition, listRunEventsAfter } from "../services/run-events";
import { isFinalStatus, type RunEventFrame } from "../schemas/run";
import { subscribeRunEvents } from "./run-event-bus";

const PAGE = 1000;

export async function* followRunEvents(
  runId: number,
  opts: { afterSeq?: number; signal?: AbortSignal } = {},
): AsyncGenerator<RunEventFrame> {
  const { signal } = opts;
  let lastSeq = opts.afterSeq ?? 0;
  let pending = true; // read once at the start
  let wake: (() => void) | null = null;
  const unsubscribe = subscribeRunEvents(runId, (seq) => {
    if (seq > lastSeq) {
      pending = true;
      wake?.();
    }
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    // A caller that already has everything of a finished run gets nothing.
    const position = await getRunLogPosition(runId);
    if (!position || (isFinalStatus(position.status) && position.lastSeq <= lastSeq)) return;
    while (!signal?.aborted) {
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (signal?.aborted) return;
      pending = false;
      for (;;) {
        const frames = await listRunEventsAfter(runId, lastSeq, PAGE);
        for (const frame of frames) {
          if (signal?.aborted) return;
          lastSeq = frame.seq;
          yield frame;
          if (frame.type === "run_finished") return;
        }
        if (frames.length < PAGE) break;
      }
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
}
