/**
 * Server-Sent Events over the stored run event log. Every transport reads the log, never
 * the executor: replay everything after `afterSeq`, then follow new events as the bus
 * announces them (lib/events/follow-run-events.ts), send keep-alive comments while idle,
 * and close once the run has finished (or after maxMs, when the client reconnects with
 * Last-Event-ID).
 */
import { followRunEventBatches } from "../events/follow-run-events";
import type { RunEventFrame } from "../schemas/run";
import { textStreamResponse } from "./event-stream";

/**
 * Frames a run's viewers share (lib/events/run-tail.ts hands the same frozen objects to every
 * follower) are formatted once, not once per viewer.
 */
const formatted = new WeakMap<RunEventFrame, string>();

export function formatSseFrame(frame: RunEventFrame): string {
  let text = formatted.get(frame);
  if (text === undefined) {
    text = `id: ${frame.seq}\nevent: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`;
    formatted.set(frame, text);
  }
  return text;
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
  return textStreamResponse(
    req,
    async function* (signal) {
      // Every frame at hand goes out in one write (see followRunEventBatches).
      for await (const frames of followRunEventBatches(runId, { afterSeq: opts.afterSeq, signal })) {
        yield frames.length === 1 ? formatSseFrame(frames[0]) : frames.map(formatSseFrame).join("");
      }
    },
    {
      contentType: "text/event-stream; charset=utf-8",
      headers: { connection: "keep-alive" },
      preamble: "retry: 1000\n\n",
      keepAlive: { everyMs: opts.keepAliveMs ?? 15_000, text: ": keep-alive\n\n" },
      maxMs: opts.maxMs ?? 5 * 60_000,
    },
  );
}
