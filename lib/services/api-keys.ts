/**
 * Workspace API keys: `fd_` + 192 random bits, shown once, stored as a SHA-256 hash plus
 * the last 4 characters, revocable, optionally bound to one workflow (+ label). Managing
 * keys needs the manage permission (an admin key, or an admin/owner session).
 */
import { forgetApiKey } from "../auth/api-key";
import { db } from "../db/client";
import { randomToken, sha256Hex } from "../security/tokens";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { assertCan } from "./permissions";
import { findWorkflow } from "./workflows";

export const API_KEY_PREFIX = "fd_";

const apiKeySelect = {
  id: true, name: true, role: true, last4: true, workflowId: true, label: true,
  createdAt: true, lastUsedAt: true, revokedAt: true,
} as const;

type ApiKeyRow = { id: number; name: string; role: string; last4: string; workflowId: number | null; label: string | null;
  createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

/** An API key as callers see it (never the key or its hash). */
export interface ApiKeyInfo {
  id: number;
  name: string;
  role: "admin" | "member";
  last4: string;
  workflow: { id: number; name: string } | null;
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function toInfo(row: ApiKeyRow, workflowNames: Map<number, string>): ApiKeyInfo {
  return {
    id: row.id, name: row.name, role: row.role === "admin" ? "admin" : "member", last4: row.last4,
    workflow: row.workflowId != null ? { id: row.workflowId, name: workflowNames.get(row.workflowId) ?? "" } : null,
    label: row.label, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt,
  };
}

export interface CreateApiKeyInput {
  name: string;
  role?: "admin" | "member";
  /** Workflow id, UUID or name to bind the key to. */
  workflow?: string | null;
  label?: string | null;
}

/** Creates a key; the returned `key` is the only time it is ever shown. */
export async function createApiKey(actor: Actor, input: CreateApiKeyInput): Promise<ApiKeyInfo & { key: string }> {
  assertCan(actor, "manage");
  const workflow = input.workflow ? await findWorkflow(actor, input.workflow) : null;
  const key = `${API_KEY_PREFIX}${randomToken(24)}`;
  const row = await db.apiKey.create({
    data: {
      workspaceId: actor.workspaceId, name: input.name.trim(), keyHash: sha256Hex(key), last4: key.slice(-4),
      role: input.role ?? "member", workflowId: workflow?.id ?? null, label: workflow ? (input.label ?? null) : null,
      createdById: actor.userId,
    },
    select: apiKeySelect,
  });
  return { ...toInfo(row, new Map(workflow ? [[workflow.id, workflow.name]] : [])), key };
}

/** The workspace's keys, newest first (revoked ones included, marked). */
export async function listApiKeys(actor: Actor): Promise<ApiKeyInfo[]> {
  assertCan(actor, "manage");
  return loadApiKeys(actor);
}

/**
 * The same list for the console's read-only view: members and viewers may see which keys
 * exist (name, last 4 characters, state), never manage them.
 */
export async function listApiKeysReadOnly(actor: Actor): Promise<ApiKeyInfo[]> {
  assertCan(actor, "read");
  return loadApiKeys(actor);
}

async function loadApiKeys(actor: Actor): Promise<ApiKeyInfo[]> {
  const rows = await db.apiKey.findMany({
    where: { workspaceId: actor.workspaceId }, orderBy: { id: "desc" }, select: apiKeySelect, take: 500,
  });
  const ids = [...new Set(rows.map((r) => r.workflowId).filter((id): id is number => id != null))];
  const workflows = ids.length
    ? await db.workflow.findMany({ where: { workspaceId: actor.workspaceId, id: { in: ids } }, select: { id: true, name: true } })
    : [];
  const names = new Map(workflows.map((w) => [w.id, w.name]));
  return rows.map((r) => toInfo(r, names));
}

/** Revokes a key at once (requests with it answer 401). A foreign or unknown id is NotFound. */
export async function revokeApiKey(actor: Actor, id: number): Promise<ApiKeyInfo> {
  assertCan(actor, "manage");
  const key = await db.apiKey.findFirst({ where: { id, workspaceId: actor.workspaceId }, select: { id: true } });
  if (!key) throw new NotFoundError("API key");
  await db.apiKey.updateMany({ where: { id, workspaceId: actor.workspaceId, revokedAt: null }, data: { revokedAt: new Date() } });
  forgetApiKey(id);
  return (await listApiKeys(actor)).find((k) => k.id === id)!;
}

/** Whether a key of this workspace exists and is not revoked (for credentials derived from a key, like WebSocket tokens). */
export async function isApiKeyLive(workspaceId: number, id: number): Promise<boolean> {
  const key = await db.apiKey.findFirst({ where: { id, workspaceId, revokedAt: null }, select: { id: true } });
  return key !== null;
}

/** Minimum time between two writes of a key's lastUsedAt. */
const TOUCH_INTERVAL_MS = 60_000;
const globalForKeys = globalThis as unknown as { flowdeckKeyTouches?: Map<number, number> };
const lastTouch = (globalForKeys.flowdeckKeyTouches ??= new Map());

/**
 * Records that a key was used, cheaply: at most one write per key per minute per process,
 * and the write itself only moves lastUsedAt forward when it is a minute old.
 */
export function touchApiKey(id: number, now = Date.now()): void {
  const previous = lastTouch.get(id);
  if (previous !== undefined && now - previous < TOUCH_INTERVAL_MS) return;
  lastTouch.set(id, now);
  if (lastTouch.size > 10_000) lastTouch.clear();
  void db.apiKey
    .updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now - TOUCH_INTERVAL_MS) } }] },
      data: { lastUsedAt: new Date(now) },
    })
    .catch((error) => console.error("[api-keys] could not record last use:", error));
}
