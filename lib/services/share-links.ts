/**
 * Read-only share links for one run. The token (192 bits) lives only in the link; the
 * database keeps its SHA-256, so a leaked database does not leak working links.
 */
import { db } from "../db/client";
import { randomToken, sha256Hex } from "../security/tokens";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { assertCan } from "./permissions";
import { findRunId, getRunDetailById } from "./runs";

export async function createShareLink(
  actor: Actor,
  runUuid: string,
  opts: { includeInputs?: boolean; expiresAt?: Date | null } = {},
) {
  assertCan(actor, "run");
  const run = await findRunId(actor, runUuid);
  const token = randomToken(24);
  const link = await db.shareLink.create({
    data: {
      workspaceId: actor.workspaceId, runId: run.id, tokenHash: sha256Hex(token), last4: token.slice(-4),
      includeInputs: opts.includeInputs ?? false, expiresAt: opts.expiresAt ?? null, createdById: actor.userId,
    },
    select: { id: true, includeInputs: true, expiresAt: true, createdAt: true },
  });
  return { ...link, token, path: `/share/${token}` };
}

/** The link for a token if it is valid now (not revoked, not expired), else null. */
async function findLiveLink(token: string) {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  const link = await db.shareLink.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!link || link.revokedAt || (link.expiresAt && link.expiresAt < new Date())) return null;
  return link;
}

/** What a share page may show: the one run's result (inputs only if the link allows). */
export async function getSharedRun(token: string) {
  const link = await findLiveLink(token);
  if (!link) throw new NotFoundError("Shared run");
  const run = await getRunDetailById(link.runId);
  if (!run) throw new NotFoundError("Shared run");
  return { runId: link.runId, includeInputs: link.includeInputs, run: { ...run, inputs: link.includeInputs ? run.inputs : null } };
}

/** The run id a share token gives read access to (for the shared live stream). */
export async function getSharedRunId(token: string): Promise<number> {
  const link = await findLiveLink(token);
  if (!link) throw new NotFoundError("Shared run");
  return link.runId;
}
