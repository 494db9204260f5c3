/** GET /api/v1/workspace — which workspace and role the credentials act as. */
import { getWorkspaceEndpoint } from "@/lib/api/endpoints/workspace";
import { apiRoute } from "@/lib/api/route";

export const dynamic = "force-dynamic";

export const GET = apiRoute(getWorkspaceEndpoint, async ({ actor }) =>
  Response.json({ id: actor.workspaceId, slug: actor.workspaceSlug, role: actor.role, api_key_id: actor.apiKeyId }));
