/** POST /api/v1/runs/{run}/cancel — stop a queued or running run. */
import { cancelRunEndpoint } from "@/lib/api/endpoints/runs";
import { apiRoute } from "@/lib/api/route";
import { cancelRun } from "@/lib/services/runs";

export const POST = apiRoute(cancelRunEndpoint, async ({ actor, params }) => {
  const result = await cancelRun(actor, params.run);
  return Response.json({ id: params.run, status: result.status, changed: result.changed }, { status: 202 });
});
