/** API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { hasDirectPg, pgDirectQuery } from "../db/pg-direct";
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
  const row = await findKey(hash);
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

type KeyRow = { id: number; role: string; revokedAt: Date | null; workflowId: number | null; label: string | null; workspace: { id: number; slug: string } };

/** The key and its workspace: on PostgreSQL one joined statement (Prisma would send two). */
async function findKey(keyHash: string): Promise<KeyRow | null> {
  if (hasDirectPg()) {
    const [row] = await pgDirectQuery<Omit<KeyRow, "workspace"> & { workspaceId: number; slug: string }>(
      `SELECT k."id", k."role", k."revokedAt", k."workflowId", k."label", w."id" AS "workspaceId", w."slug"
         FROM "ApiKey" k JOIN "Workspace" w ON w."id" = k."workspaceId" WHERE k."keyHash" = $1`,
      [keyHash],
    );
    return row ? { ...row, workspace: { id: row.workspaceId, slug: row.slug } } : null;
  }
  return db.apiKey.findUnique({
    where: { keyHash },
    select: { id: true, role: true, revokedAt: true, workflowId: true, label: true, workspace: { select: { id: true, slug: true } } },
  });
}
