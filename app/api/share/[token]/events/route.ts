/**
 * GET /api/share/{token}/events — the shared run's events as SSE, for the share page.
 * Filtered for a stranger (lib/services/shared-run-events.ts); an unknown, revoked or
 * expired token answers 404 "This link does not work", and an open stream ends once its
 * link is revoked or expires.
 */
import { errorResponse, jsonError } from "@/lib/api/errors";
import { textStreamResponse } from "@/lib/api/event-stream";
import { afterSeqFromRequest, formatSseFrame } from "@/lib/api/sse";
import { NotFoundError } from "@/lib/services/errors";
import { followSharedRun, resolveShareToken } from "@/lib/services/share-links";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ token: string }> }) {
  let access;
  try {
    access = await resolveShareToken((await ctx.params).token);
  } catch (err) {
    if (err instanceof NotFoundError) return jsonError(404, "not_found", "This link does not work");
    return errorResponse(err);
  }
  const afterSeq = afterSeqFromRequest(req);
  return textStreamResponse(
    req,
    async function* (signal) {
      for await (const frame of followSharedRun(access, { afterSeq, signal })) yield formatSseFrame(frame);
    },
    {
      contentType: "text/event-stream; charset=utf-8",
      headers: { connection: "keep-alive", "referrer-policy": "no-referrer", "x-robots-tag": "noindex" },
      preamble: "retry: 1000\n\n",
      keepAlive: { everyMs: 15_000, text: ": keep-alive\n\n" },
      maxMs: 5 * 60_000,
    },
  );
}
