/** API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { sha256Hex } from "../security/tokens";
import type { Actor, Role } from "../schemas/workspace";

export function apiKeyFromHeaders(headers: Headers): string | null {
  const bearer = headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  return (bearer ?? headers.get("x-api-key"))?.trim() || null;
}

/**
 * Valid keys seen recently (key hash → actor), so an API request costs no key lookup. Only
 * with the embedded SQLite database, where this process is the only one that can revoke a
 * key (revoking calls forgetApiKey); with PostgreSQL every request reads the key.
 */
const globalForKeys = globalThis as unknown as { flowdeckKeyCache?: Map<string, Actor> };
const keyCache = globalForKeys.flowdeckKeyCache ?? (globalForKeys.flowdeckKeyCache = new Map());
const cacheKeys = databaseProvider() === "sqlite";
const KEY_CACHE_LIMIT = 1_000;

/** The actor for an API key, or null for an unknown or revoked key. */
export async function actorForApiKey(key: string): Promise<Actor | null> {
  const hash = sha256Hex(key);
  const cached = keyCache.get(hash);
  if (cached) return cached;
  const row = await db.apiKey.findUnique({
    where: { keyHash: hash },
    select: { id: true, role: true, revokedAt: true, workflowId: true, label: true, workspace: { select: { id: true, slug: true } } },
  });
  if (!row || row.revokedAt) return null;
  const actor: Actor = {
    workspaceId: row.workspace.id, workspaceSlug: row.workspace.slug,
    role: (row.role === "admin" ? "admin" : "member") as Role, userId: null, apiKeyId: row.id,
    binding: row.workflowId != null ? { workflowId: row.workflowId, label: row.label } : null,
  };
  if (cacheKeys) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(hash, actor);
  }
  return actor;
}

/** Drops a key from the cache (call when it is revoked). */
export function forgetApiKey(apiKeyId: number): void {
  for (const [hash, actor] of keyCache) if (actor.apiKeyId === apiKeyId) keyCache.delete(hash);
}
