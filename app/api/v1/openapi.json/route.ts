/** GET /api/v1/openapi.json — the OpenAPI 3.1 document (generated, public). */
import { openApiEndpoint } from "@/lib/api/endpoints/workspace";
import { getOpenApiDocument } from "@/lib/api/openapi";
import { apiRoute } from "@/lib/api/route";

export const GET = apiRoute(openApiEndpoint, async () =>
  Response.json(getOpenApiDocument(), { headers: { "cache-control": "public, max-age=300" } }));
