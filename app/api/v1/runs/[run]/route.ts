/** GET /api/v1/runs/{run} — one run, with steps, outputs, lineage and callback deliveries. */
import { getRunEndpoint } from "@/lib/api/endpoints/runs";
import { apiRoute } from "@/lib/api/route";
import { getRunDocument } from "@/lib/services/run-documents";

export const dynamic = "force-dynamic";

export const GET = apiRoute(getRunEndpoint, async ({ actor, params, query }) =>
  Response.json(await getRunDocument(actor, params.run, { stepOutputs: query.return_all_outputs })));
