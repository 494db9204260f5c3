/** GET /api/v1/runs/{id}/events — the run's events as SSE (replay, then live). */
import { errorResponse } from "@/lib/api/errors";
import { requireRequestActor } from "@/lib/api/request-actor";
import { afterSeqFromRequest, runEventStreamResponse } from "@/lib/api/sse";
import { findRunId } from "@/lib/services/runs";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ run: string }> }) {
  try {
    const actor = await requireRequestActor(req);
    const run = await findRunId(actor, (await ctx.params).run);
    return runEventStreamResponse(req, run.id, { afterSeq: afterSeqFromRequest(req) });
  } catch (err) {
    return errorResponse(err);
  }
}
