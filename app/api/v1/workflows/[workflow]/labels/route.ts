/** GET /api/v1/workflows/{workflow}/labels — labels and their versions. */
import { listLabelsEndpoint } from "@/lib/api/endpoints/workflows";
import { apiRoute } from "@/lib/api/route";
import { toLabelDoc } from "@/lib/api/workflow-docs";
import { listLabels } from "@/lib/services/workflows";

export const dynamic = "force-dynamic";

export const GET = apiRoute(listLabelsEndpoint, async ({ actor, params }) =>
  Response.json({ data: (await listLabels(actor, params.workflow)).map(toLabelDoc) }));
