/**
 * Server-Sent Events over the stored run event log. Every transport reads the log, never
 * the executor: replay everything after `afterSeq`, then follow new events as the bus
 * announces them (lib/events/follow-run-events.ts), send keep-alive comments while idle,
 * and close once the run has finished (or after maxMs, when the client reconnects with
 * Last-Event-ID).
 */
import { followRunEvents } from "../events/follow-run-events";
import type { RunEventFrame } from "../schemas/run";
import { textStreamResponse } from "./event-stream";

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
  return textStreamResponse(
    req,
    async function* (signal) {
      for await (const frame of followRunEvents(runId, { afterSeq: opts.afterSeq, signal })) yield formatSseFrame(frame);
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
