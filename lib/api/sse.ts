/**
 * Server-Sent Events over the stored run event log. Every transport reads the log, never
 * the executor: replay everything after `afterSeq`, then follow new events as the bus
 * announces them, send keep-alive comments while idle, and close once the run has
 * finished (or after maxMs, when the client reconnects with Last-Event-ID).
 */
import { subscribeRunEvents } from "../events/run-event-bus";
import { getRunLogPosition, listRunEventsAfter } from "../services/run-events";
import { isFinalStatus } from "../schemas/run";
import type { RunEventFrame } from "../schemas/run";

const encoder = new TextEncoder();

export function formatSseFrame(frame: RunEventFrame): string {
  return `id: ${frame.seq}\nevent: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`;
}

/** The replay position from `Last-Event-ID` or `?after=` (0 = from the start). */
export function afterSeqFromRequest(req: Request): number {
  const raw = req.headers.get("last-event-id") ?? new URL(req.url).searchParams.get("after") ?? "0";
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function runEventStreamResponse(
  req: Request,
  runId: number,
  opts: { afterSeq: number; keepAliveMs?: number; maxMs?: number },
): Response {
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const maxMs = opts.maxMs ?? 5 * 60_000;
  let cleanup = () => {};

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let lastSeq = opts.afterSeq;
      let closed = false;
      let wake: (() => void) | null = null;
      let pending = true; // read once at start
      const unsubscribe = subscribeRunEvents(runId, (seq) => {
        if (seq > lastSeq) {
          pending = true;
          wake?.();
        }
      });
      const keepAlive = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(": keep-alive\n\n"));
      }, keepAliveMs);
      const deadline = setTimeout(() => close(), maxMs);
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(keepAlive);
        clearTimeout(deadline);
        wake?.();
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      cleanup = close;
      req.signal.addEventListener("abort", close);
      controller.enqueue(encoder.encode("retry: 1000\n\n"));

      void (async () => {
        try {
          // A client that already has everything of a finished run gets a closed stream.
          const position = await getRunLogPosition(runId);
          if (!position || (isFinalStatus(position.status) && position.lastSeq <= lastSeq)) return close();
          while (!closed) {
            if (!pending) await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            if (closed) break;
            pending = false;
            for (;;) {
              const frames = await listRunEventsAfter(runId, lastSeq);
              if (closed) return;
              for (const frame of frames) {
                controller.enqueue(encoder.encode(formatSseFrame(frame)));
                lastSeq = frame.seq;
                if (frame.type === "run_finished") return close();
              }
              if (frames.length < 1000) break;
            }
          }
        } catch (err) {
          console.error("[sse] stream failed:", err);
          close();
        }
      })();
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
