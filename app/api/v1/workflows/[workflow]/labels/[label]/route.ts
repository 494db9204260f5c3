/** PUT /api/v1/workflows/{workflow}/labels/{label} — point a label at a version. */
import { setLabelEndpoint } from "@/lib/api/endpoints/workflows";
import { apiRoute } from "@/lib/api/route";
import { toLabelDoc } from "@/lib/api/workflow-docs";
import { listLabels, setLabel } from "@/lib/services/workflows";

export const PUT = apiRoute(setLabelEndpoint, async ({ actor, params, body }) => {
  await setLabel(actor, params.workflow, params.label, body.version);
  const label = (await listLabels(actor, params.workflow)).find((l) => l.name === params.label)!;
  return Response.json(toLabelDoc(label));
});
