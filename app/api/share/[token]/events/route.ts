/** GET /api/share/{token}/events — the shared run's events as SSE, for the share page. */
import { errorResponse } from "@/lib/api/errors";
import { afterSeqFromRequest, runEventStreamResponse } from "@/lib/api/sse";
import { getSharedRunId } from "@/lib/services/share-links";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ token: string }> }) {
  try {
    const runId = await getSharedRunId((await ctx.params).token);
    return runEventStreamResponse(req, runId, { afterSeq: afterSeqFromRequest(req) });
  } catch (err) {
    return errorResponse(err);
  }
}
