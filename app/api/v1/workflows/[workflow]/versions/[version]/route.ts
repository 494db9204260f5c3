/** GET /api/v1/workflows/{workflow}/versions/{version} — one version with its definition. */
import { getVersionEndpoint } from "@/lib/api/endpoints/workflows";
import { apiRoute } from "@/lib/api/route";
import { toVersionDoc } from "@/lib/api/workflow-docs";
import { getVersion } from "@/lib/services/workflows";

export const dynamic = "force-dynamic";

export const GET = apiRoute(getVersionEndpoint, async ({ actor, params }) =>
  Response.json(toVersionDoc(await getVersion(actor, params.workflow, params.version))));
