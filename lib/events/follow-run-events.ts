/**
 * A run's stored events as an async sequence: everything after `afterSeq`, then new events
 * as the bus announces them, ending after `run_finished` (or when `signal` aborts). Every
 * streaming transport — Flowdeck's SSE and the compatibility streams — reads through this,
 * so each one gets every event exactly once and in order.
 *
 * Every notification (from this process or, on PostgreSQL, from any other; a resync after
 * the bus reconnected counts as one) makes the follower read again after the last seq it
 * has, so events written elsewhere are never missed even if a notification is. Followers
 * of the same run that have caught up share their reads (lib/events/run-tail.ts).
 */
import { getRunLogPosition, listRunEventsAfter } from "../services/run-events";
import { isFinalStatus, type RunEventFrame } from "../schemas/run";
import { subscribeRunEvents } from "./run-event-bus";
import { acquireRunTail, TAIL_PAGE as PAGE } from "./run-tail";

export async function* followRunEvents(
  runId: number,
  opts: { afterSeq?: number; signal?: AbortSignal } = {},
): AsyncGenerator<RunEventFrame> {
  for await (const frames of followRunEventBatches(runId, opts)) {
    for (const frame of frames) {
      if (opts.signal?.aborted) return;
      yield frame;
    }
  }
}

/**
 * The same sequence, as the batches it is read in: every frame at hand at once (up to a
 * page), so a transport can write them in one piece. With many viewers of a fast stream,
 * the cost per write (web streams, promises, a socket write) is what the server pays for
 * each viewer, so fewer, larger writes keep it from falling behind.
 */
export async function* followRunEventBatches(
  runId: number,
  opts: { afterSeq?: number; signal?: AbortSignal } = {},
): AsyncGenerator<RunEventFrame[]> {
  const { signal } = opts;
  let lastSeq = opts.afterSeq ?? 0;
  let pending = true; // read once at the start
  let heardAt = performance.now(); // when the latest news came (a read must start after it)
  let wake: (() => void) | null = null;
  const unsubscribe = subscribeRunEvents(runId, (seq) => {
    if (seq > lastSeq) {
      pending = true;
      heardAt = performance.now();
      wake?.();
    }
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  const me = {};
  const { tail, release } = acquireRunTail(runId, me);
  try {
    // A caller that already has everything of a finished run gets nothing.
    const position = await getRunLogPosition(runId);
    if (!position || (isFinalStatus(position.status) && position.lastSeq <= lastSeq)) return;
    while (!signal?.aborted) {
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (signal?.aborted) return;
      pending = false;
      // Whether a read that began after this wake-up has reached the end of the log.
      let upToDate = false;
      for (;;) {
        let frames = tail.buffered(me, lastSeq, PAGE);
        if (frames === null) {
          // Behind the shared buffer: read for ourselves.
          frames = await listRunEventsAfter(runId, lastSeq, PAGE);
          if (frames.length < PAGE) upToDate = true;
          if (frames.length === 0) break;
        } else if (frames.length === 0) {
          if (upToDate) break;
          upToDate = await tail.refresh(heardAt);
          continue;
        }
        if (signal?.aborted) return;
        const end = frames.findIndex((f) => f.type === "run_finished");
        const batch = end >= 0 ? frames.slice(0, end + 1) : frames;
        lastSeq = batch[batch.length - 1].seq;
        yield batch;
        if (end >= 0) return;
      }
    }
  } finally {
    release();
    unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
}
