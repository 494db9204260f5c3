/** GET /api/v1/workflows/{workflow} — one workflow (by id, UUID or name). */
import { getWorkflowEndpoint } from "@/lib/api/endpoints/workflows";
import { apiRoute } from "@/lib/api/route";
import { toWorkflowDoc } from "@/lib/api/workflow-docs";
import { getWorkflowSummary } from "@/lib/services/workflows";

export const dynamic = "force-dynamic";

export const GET = apiRoute(getWorkflowEndpoint, async ({ actor, params }) =>
  Response.json(toWorkflowDoc(await getWorkflowSummary(actor, params.workflow))));
