/**
 * The history of a workflow for the console: its versions with who published them, and the
 * recorded label moves with who made them (a user's email or an API key's name).
 * Every query carries the actor's workspaceId.
 */
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { findWorkflow } from "./workflows";

/** Who did something: a signed-in user, an API key, or nobody known (e.g. a deleted user). */
export type ChangeAuthor =
  | { kind: "user"; email: string; name: string | null }
  | { kind: "api_key"; name: string }
  | { kind: "unknown" };

export interface LabelMoveEntry {
  id: number;
  label: string;
  /** null when the move created the label. */
  fromVersion: number | null;
  toVersion: number;
  movedAt: Date;
  by: ChangeAuthor;
}

export interface VersionEntry {
  number: number;
  message: string;
  createdAt: Date;
  labels: string[];
  by: ChangeAuthor;
}

/** Most label moves listed at once. */
export const MAX_LABEL_MOVES = 200;

/** Label moves of a workflow, newest first; `label` narrows to one label. */
export async function listLabelMoves(
  actor: Actor,
  ref: string | number,
  options: { label?: string; limit?: number } = {},
): Promise<LabelMoveEntry[]> {
  const workflow = await findWorkflow(actor, ref);
  const moves = await db.labelMove.findMany({
    where: { workspaceId: actor.workspaceId, workflowId: workflow.id, ...(options.label ? { label: options.label } : {}) },
    // Ids grow with time and, unlike timestamps, never tie.
    orderBy: { id: "desc" },
    take: Math.min(Math.max(options.limit ?? 50, 1), MAX_LABEL_MOVES),
  });
  const authors = await loadAuthors(actor, moves.map((m) => ({ userId: m.movedById, apiKeyId: m.movedByApiKeyId })));
  return moves.map((m) => ({
    id: m.id,
    label: m.label,
    fromVersion: m.fromVersionNumber,
    toVersion: m.toVersionNumber,
    movedAt: m.createdAt,
    by: authors(m.movedById, m.movedByApiKeyId),
  }));
}

/** A workflow's versions, newest first, with their labels and who published each. */
export async function listVersionEntries(actor: Actor, ref: string | number): Promise<VersionEntry[]> {
  const workflow = await findWorkflow(actor, ref);
  const versions = await db.workflowVersion.findMany({
    where: { workspaceId: actor.workspaceId, workflowId: workflow.id },
    orderBy: { number: "desc" },
    select: { number: true, message: true, createdAt: true, createdById: true, labels: { select: { name: true }, orderBy: { name: "asc" } } },
  });
  const authors = await loadAuthors(actor, versions.map((v) => ({ userId: v.createdById, apiKeyId: null })));
  return versions.map((v) => ({
    number: v.number,
    message: v.message,
    createdAt: v.createdAt,
    labels: v.labels.map((l) => l.name),
    // A version records only the user who published it; one published with an API key has none.
    by: authors(v.createdById, null),
  }));
}

/** Loads the users and API keys named by a list of changes, in two queries. */
async function loadAuthors(actor: Actor, refs: { userId: string | null; apiKeyId: number | null }[]) {
  const userIds = [...new Set(refs.flatMap((r) => (r.userId ? [r.userId] : [])))];
  const keyIds = [...new Set(refs.flatMap((r) => (r.apiKeyId != null ? [r.apiKeyId] : [])))];
  const [users, keys] = await Promise.all([
    userIds.length ? db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true, name: true } }) : [],
    keyIds.length
      ? db.apiKey.findMany({ where: { workspaceId: actor.workspaceId, id: { in: keyIds } }, select: { id: true, name: true } })
      : [],
  ]);
  const userById = new Map(users.map((u) => [u.id, u]));
  const keyById = new Map(keys.map((k) => [k.id, k]));
  return (userId: string | null, apiKeyId: number | null): ChangeAuthor => {
    const user = userId ? userById.get(userId) : undefined;
    if (user) return { kind: "user", email: user.email, name: user.name };
    const key = apiKeyId != null ? keyById.get(apiKeyId) : undefined;
    if (key) return { kind: "api_key", name: key.name };
    return { kind: "unknown" };
  };
}
