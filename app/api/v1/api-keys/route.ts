/** GET /api/v1/api-keys — list; POST — create (the key is in this answer only). */
import { createApiKeyEndpoint, listApiKeysEndpoint } from "@/lib/api/endpoints/workspace";
import { apiRoute } from "@/lib/api/route";
import { toApiKeyDoc } from "@/lib/api/workflow-docs";
import { createApiKey, listApiKeys } from "@/lib/services/api-keys";

export const dynamic = "force-dynamic";

export const GET = apiRoute(listApiKeysEndpoint, async ({ actor }) =>
  Response.json({ data: (await listApiKeys(actor)).map(toApiKeyDoc) }));

export const POST = apiRoute(createApiKeyEndpoint, async ({ actor, body }) => {
  const created = await createApiKey(actor, body);
  return Response.json({ ...toApiKeyDoc(created), key: created.key }, { status: 201, headers: { "cache-control": "no-store" } });
});
