/** DELETE /api/v1/api-keys/{key} — revoke a key. */
import { revokeApiKeyEndpoint } from "@/lib/api/endpoints/workspace";
import { apiRoute } from "@/lib/api/route";
import { toApiKeyDoc } from "@/lib/api/workflow-docs";
import { revokeApiKey } from "@/lib/services/api-keys";

export const DELETE = apiRoute(revokeApiKeyEndpoint, async ({ actor, params }) =>
  Response.json(toApiKeyDoc(await revokeApiKey(actor, params.key))));
