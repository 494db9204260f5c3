/** GET /api/v1/workspace/signing-secret — the key that signs run callbacks (admins only). */
import { signingSecretEndpoint } from "@/lib/api/endpoints/workspace";
import { apiRoute } from "@/lib/api/route";
import { getSigningSecret } from "@/lib/services/callbacks";

export const dynamic = "force-dynamic";

export const GET = apiRoute(signingSecretEndpoint, async ({ actor }) =>
  Response.json(
    {
      secret: await getSigningSecret(actor),
      header: "X-Flowdeck-Signature",
      scheme: "t=<unix seconds>,v1=hex(HMAC-SHA256(secret, `${t}.${raw body}`))",
    },
    { headers: { "cache-control": "no-store" } },
  ));
