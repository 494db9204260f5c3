/** API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
import { db } from "../db/client";
import { sha256Hex } from "../security/tokens";
import type { Actor, Role } from "../schemas/workspace";

export function apiKeyFromHeaders(headers: Headers): string | null {
  const bearer = headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  return (bearer ?? headers.get("x-api-key"))?.trim() || null;
}

/** The actor for an API key, or null for an unknown or revoked key. */
export async function actorForApiKey(key: string): Promise<Actor | null> {
  const row = await db.apiKey.findUnique({
    where: { keyHash: sha256Hex(key) },
    select: { id: true, role: true, revokedAt: true, workspace: { select: { id: true, slug: true } } },
  });
  if (!row || row.revokedAt) return null;
  return {
    workspaceId: row.workspace.id, workspaceSlug: row.workspace.slug,
    role: (row.role === "admin" ? "admin" : "member") as Role, userId: null, apiKeyId: row.id,
  };
}
