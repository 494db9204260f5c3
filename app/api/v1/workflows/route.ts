/** GET /api/v1/workflows — list; POST — create from a JSON or YAML definition. */
import { createWorkflowEndpoint, listWorkflowsEndpoint } from "@/lib/api/endpoints/workflows";
import { apiRoute } from "@/lib/api/route";
import { toWorkflowDoc } from "@/lib/api/workflow-docs";
import { createWorkflow, getWorkflowSummary, listWorkflows } from "@/lib/services/workflows";

export const dynamic = "force-dynamic";

export const GET = apiRoute(listWorkflowsEndpoint, async ({ actor }) =>
  Response.json({ data: (await listWorkflows(actor)).map(toWorkflowDoc) }));

export const POST = apiRoute(createWorkflowEndpoint, async ({ actor, body }) => {
  const created = await createWorkflow(actor, {
    name: body.name, title: body.title, description: body.description, definition: body.definition, labels: body.labels,
  });
  const doc = toWorkflowDoc(await getWorkflowSummary(actor, created.id));
  return Response.json(doc, { status: 201, headers: { location: doc.url } });
});
