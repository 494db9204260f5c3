/**
 * A streamed HTTP answer built from an async sequence of text pieces, with keep-alive text
 * while it is idle. The sequence gets an AbortSignal that fires when the client goes away
 * (or the deadline passes), so whatever it is following stops too. Used by Flowdeck's SSE
 * and by the compatibility streams (Dify's SSE, Vellum's NDJSON).
 */
const encoder = new TextEncoder();
/** How much written text may wait for the reader before the producer is held back. */
const QUEUE_BYTES = 16 * 1024;

export interface TextStreamOptions {
  contentType: string;
  status?: number;
  headers?: HeadersInit;
  /** Written whenever nothing else was written for `everyMs`. */
  keepAlive?: { everyMs: number; text: string };
  /** Written first (e.g. SSE's `retry:`). */
  preamble?: string;
  /** The stream closes after this long even if the sequence has not ended. */
  maxMs?: number;
}

export function textStreamResponse(
  req: Request,
  produce: (signal: AbortSignal) => AsyncIterable<string>,
  opts: TextStreamOptions,
): Response {
  const abort = new AbortController();
  const stop = () => abort.abort();
  let timers: { keepAlive?: ReturnType<typeof setInterval>; deadline?: ReturnType<typeof setTimeout> } = {};
  /** Set while the producer waits for the reader to take what is queued. */
  let wanted: (() => void) | null = null;
  const wake = () => {
    const resume = wanted;
    wanted = null;
    resume?.();
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let lastWrite = Date.now();
      const write = (text: string) => {
        if (closed) return;
        lastWrite = Date.now();
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(timers.keepAlive);
        clearTimeout(timers.deadline);
        req.signal.removeEventListener("abort", stop);
        stop();
        wake();
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      req.signal.addEventListener("abort", stop);
      abort.signal.addEventListener("abort", close);
      if (opts.keepAlive) {
        const { everyMs, text } = opts.keepAlive;
        timers.keepAlive = setInterval(() => {
          if (Date.now() - lastWrite >= everyMs - 5) write(text);
        }, Math.max(50, Math.floor(everyMs / 2)));
      }
      if (opts.maxMs) timers.deadline = setTimeout(stop, opts.maxMs);
      if (opts.preamble) write(opts.preamble);
      void (async () => {
        try {
          for await (const piece of produce(abort.signal)) {
            if (closed) break;
            write(piece);
            // Backpressure: while the reader has QUEUE_BYTES or more waiting (a slow client,
            // or a server too busy to write them out), the sequence is not asked for more.
            // Memory stays bounded, and a follower that fell behind catches up in larger
            // batches instead of as a long queue of small writes.
            while (!closed && (controller.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (wanted = resolve));
          }
        } catch (err) {
          if (!abort.signal.aborted) console.error("[stream] failed:", err);
        } finally {
          close();
        }
      })();
    },
    pull() {
      wake();
    },
    cancel() {
      stop();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: QUEUE_BYTES }));

  const headers = new Headers(opts.headers);
  headers.set("content-type", opts.contentType);
  headers.set("cache-control", "no-cache, no-transform");
  headers.set("x-accel-buffering", "no");
  return new Response(stream, { status: opts.status ?? 200, headers });
}
