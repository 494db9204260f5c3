/** GET /api/v1/runs/{run}/events — the run's events as SSE (replay, then live). */
import { runEventsEndpoint } from "@/lib/api/endpoints/runs";
import { apiRoute } from "@/lib/api/route";
import { afterSeqFromRequest, runEventStreamResponse } from "@/lib/api/sse";
import { findRunId } from "@/lib/services/runs";

export const dynamic = "force-dynamic";

export const GET = apiRoute(runEventsEndpoint, async ({ req, actor, params }) => {
  const run = await findRunId(actor, params.run);
  return runEventStreamResponse(req, run.id, { afterSeq: afterSeqFromRequest(req) });
});
