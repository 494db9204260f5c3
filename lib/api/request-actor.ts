/**
 * Who is calling an API route: an API key, or the signed-in browser session acting in the
 * workspace named by `?workspace=<slug>`.
 */
import { actorForApiKey, apiKeyFromHeaders } from "../auth/api-key";
import { getSessionUserId } from "../auth/session";
import { touchApiKey } from "../services/api-keys";
import { getActorForUser } from "../services/users";
import { UnauthorizedError } from "../services/errors";
import type { Actor } from "../schemas/workspace";

export async function requireRequestActor(req: Request): Promise<Actor> {
  const key = apiKeyFromHeaders(req.headers);
  if (key) {
    const actor = await actorForApiKey(key);
    if (!actor) throw new UnauthorizedError();
    if (actor.apiKeyId != null) touchApiKey(actor.apiKeyId);
    return actor;
  }
  const userId = await getSessionUserId();
  const slug = new URL(req.url).searchParams.get("workspace");
  if (!userId || !slug) throw new UnauthorizedError("Sign in, or send an API key");
  return getActorForUser(userId, slug);
}
