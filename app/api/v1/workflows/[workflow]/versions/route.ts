/** GET /api/v1/workflows/{workflow}/versions — list; POST — publish the next version. */
import { listVersionsEndpoint, publishVersionEndpoint } from "@/lib/api/endpoints/workflows";
import { apiRoute } from "@/lib/api/route";
import { toVersionDoc } from "@/lib/api/workflow-docs";
import { getVersion, listVersions, publishVersion } from "@/lib/services/workflows";

export const dynamic = "force-dynamic";

export const GET = apiRoute(listVersionsEndpoint, async ({ actor, params }) =>
  Response.json({ data: (await listVersions(actor, params.workflow)).map(toVersionDoc) }));

export const POST = apiRoute(publishVersionEndpoint, async ({ actor, params, body }) => {
  const version = await publishVersion(actor, params.workflow, body.definition, body.message ?? "", body.labels ?? []);
  const doc = toVersionDoc(await getVersion(actor, params.workflow, version.number));
  return Response.json(doc, { status: 201 });
});
