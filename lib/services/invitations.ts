/**
 * Invitations by link: an admin creates one (role, optional email, expiry), the link
 * `/invite/<token>` is shown once and only the token's SHA-256 is stored. A link works once,
 * until it expires or is revoked; opening it signed in lets that user join with the role.
 * Only an owner may invite owners.
 */
import { db } from "../db/client";
import { randomToken, sha256Hex } from "../security/tokens";
import { roleSchema, type Actor, type Role } from "../schemas/workspace";
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from "./errors";
import { assertCan } from "./permissions";

export const INVITATION_DEFAULT_DAYS = 7;
export const INVITATION_MAX_DAYS = 90;
const DAY_MS = 86_400_000;

export type InvitationState = "pending" | "used" | "expired" | "revoked";

/** An invitation as admins see it (never the token or its hash). */
export interface InvitationInfo {
  id: number;
  role: Role;
  email: string | null;
  state: InvitationState;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  usedBy: string | null;
  revokedAt: Date | null;
  createdBy: string | null;
}

/** Why a link cannot be used any more; `code` is machine-readable. */
export class InvitationUnavailableError extends DomainError {
  constructor(readonly state: Exclude<InvitationState, "pending">) {
    super(`invitation_${state}`, {
      used: "This invitation link has already been used. Ask for a new one.",
      expired: "This invitation link has expired. Ask for a new one.",
      revoked: "This invitation link was revoked. Ask for a new one.",
    }[state]);
  }
}

type InvitationRow = {
  id: number; role: string; email: string | null; createdAt: Date; expiresAt: Date;
  usedAt: Date | null; usedById: string | null; revokedAt: Date | null; createdById: string | null;
};

const invitationSelect = {
  id: true, role: true, email: true, createdAt: true, expiresAt: true, usedAt: true, usedById: true,
  revokedAt: true, createdById: true,
} as const;

export function invitationState(row: Pick<InvitationRow, "usedAt" | "revokedAt" | "expiresAt">, now = new Date()): InvitationState {
  if (row.usedAt) return "used";
  if (row.revokedAt) return "revoked";
  if (row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "pending";
}

function toRole(value: string): Role {
  const parsed = roleSchema.safeParse(value);
  return parsed.success ? parsed.data : "viewer";
}

export interface CreateInvitationInput {
  role: Role;
  email?: string | null;
  /** Days until the link expires (default 7, at most 90). */
  expiresInDays?: number | null;
}

/** Creates an invitation; the returned `token` (and `path`) is the only time it is ever shown. */
export async function createInvitation(
  actor: Actor,
  input: CreateInvitationInput,
): Promise<InvitationInfo & { token: string; path: string }> {
  assertCan(actor, "manage");
  const role = roleSchema.parse(input.role);
  if (role === "owner" && actor.role !== "owner") throw new ForbiddenError("Only an owner can invite owners");
  const days = input.expiresInDays ?? INVITATION_DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > INVITATION_MAX_DAYS) {
    throw new ValidationError([{ loc: ["expiresInDays"], msg: `Choose 1 to ${INVITATION_MAX_DAYS} days`, type: "value_error" }]);
  }
  const email = input.email?.trim().toLowerCase() || null;
  if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ValidationError([{ loc: ["email"], msg: "Enter a valid email address, or leave it empty", type: "value_error" }]);
  }
  const token = randomToken(24);
  const row = await db.invitation.create({
    data: {
      workspaceId: actor.workspaceId, tokenHash: sha256Hex(token), role, email,
      createdById: actor.userId, expiresAt: new Date(Date.now() + days * DAY_MS),
    },
    select: invitationSelect,
  });
  const [info] = await describeRows([row]);
  return { ...info, token, path: `/invite/${token}` };
}

/** The workspace's invitations, newest first, with their state (admins and owners only). */
export async function listInvitations(actor: Actor, opts: { limit?: number } = {}): Promise<InvitationInfo[]> {
  assertCan(actor, "manage");
  const rows = await db.invitation.findMany({
    where: { workspaceId: actor.workspaceId }, orderBy: { id: "desc" }, take: Math.min(opts.limit ?? 100, 500),
    select: invitationSelect,
  });
  return describeRows(rows);
}

async function describeRows(rows: InvitationRow[]): Promise<InvitationInfo[]> {
  const ids = [...new Set(rows.flatMap((r) => [r.usedById, r.createdById]).filter((id): id is string => id != null))];
  const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } }) : [];
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const now = new Date();
  return rows.map((r) => ({
    id: r.id, role: toRole(r.role), email: r.email, state: invitationState(r, now), createdAt: r.createdAt,
    expiresAt: r.expiresAt, usedAt: r.usedAt, revokedAt: r.revokedAt,
    usedBy: r.usedById ? (emails.get(r.usedById) ?? null) : null,
    createdBy: r.createdById ? (emails.get(r.createdById) ?? null) : null,
  }));
}

/** Revokes a pending invitation: its link stops working at once. A foreign or unknown id is NotFound. */
export async function revokeInvitation(actor: Actor, id: number): Promise<InvitationInfo> {
  assertCan(actor, "manage");
  const row = await db.invitation.findFirst({ where: { id, workspaceId: actor.workspaceId }, select: { id: true } });
  if (!row) throw new NotFoundError("Invitation");
  // Only an unused invitation can be revoked; revoking twice changes nothing.
  const { count } = await db.invitation.updateMany({
    where: { id, workspaceId: actor.workspaceId, usedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const [info] = await describeRows([await db.invitation.findFirstOrThrow({ where: { id, workspaceId: actor.workspaceId }, select: invitationSelect })]);
  if (count === 0 && info.state === "used") throw new ConflictError("This invitation has already been used; remove the member instead");
  return info;
}

/** What the invite page shows about a link (the token is the credential: anyone holding it may see this). */
export interface InvitationPreview {
  state: InvitationState;
  workspace: { name: string; slug: string };
  role: Role;
  email: string | null;
  expiresAt: Date;
  /** The signed-in user's role in that workspace, when they already belong to it. */
  currentRole: Role | null;
}

/** Looks up a link by its token; NotFound for an unknown one. */
export async function previewInvitation(token: string, userId: string | null): Promise<InvitationPreview> {
  const row = await findByToken(token);
  const membership = userId
    ? await db.membership.findFirst({ where: { workspaceId: row.workspaceId, userId }, select: { role: true } })
    : null;
  return {
    state: invitationState(row), workspace: row.workspace, role: toRole(row.role), email: row.email, expiresAt: row.expiresAt,
    currentRole: membership ? toRole(membership.role) : null,
  };
}

async function findByToken(token: string) {
  // Tokens are base64url; anything else cannot match and is not worth a query.
  const row = /^[A-Za-z0-9_-]{16,100}$/.test(token)
    ? await db.invitation.findUnique({
      where: { tokenHash: sha256Hex(token) },
      select: { ...invitationSelect, workspaceId: true, workspace: { select: { name: true, slug: true } } },
    })
    : null;
  if (!row) throw new NotFoundError("Invitation");
  return row;
}

export interface AcceptedInvitation {
  workspace: { name: string; slug: string };
  role: Role;
  /** True when the user was already a member: nothing changed and the link stays unused. */
  alreadyMember: boolean;
}

/**
 * The signed-in user `userId` accepts the invitation `token` and joins its workspace with
 * its role. The link is marked used in the same transaction that adds the membership, and
 * only if it is still unused, unrevoked and unexpired, so two people can never both use it.
 */
export async function acceptInvitation(userId: string, token: string): Promise<AcceptedInvitation> {
  const invitation = await findByToken(token);
  // A member opening the link again (a double click, say) is told so; their role stays.
  const existing = await db.membership.findFirst({ where: { workspaceId: invitation.workspaceId, userId }, select: { role: true } });
  if (existing) return { workspace: invitation.workspace, role: toRole(existing.role), alreadyMember: true };
  const state = invitationState(invitation);
  if (state !== "pending") throw new InvitationUnavailableError(state);
  const user = await db.user.findUnique({ where: { id: userId }, select: { email: true } });
  if (!user) throw new NotFoundError("User");
  if (invitation.email && invitation.email !== user.email.toLowerCase()) {
    throw new ForbiddenError(`This invitation is for ${invitation.email}; you are signed in as ${user.email}`);
  }

  const role = toRole(invitation.role);
  try {
    await consumeInvitation(invitation.id, invitation.workspaceId, userId, role);
  } catch (error) {
    // The same user joined a moment ago through another link: they are a member already.
    const e = error as { code?: string; message?: string };
    if (e?.code !== "P2002" && !/unique constraint/i.test(e?.message ?? "")) throw error;
    const joined = await db.membership.findFirst({ where: { workspaceId: invitation.workspaceId, userId }, select: { role: true } });
    if (!joined) throw error;
    return { workspace: invitation.workspace, role: toRole(joined.role), alreadyMember: true };
  }
  return { workspace: invitation.workspace, role, alreadyMember: false };
}

/** Marks the invitation used (only if still usable) and adds the membership, both or neither. */
function consumeInvitation(invitationId: number, workspaceId: number, userId: string, role: Role) {
  return db.$transaction(async (tx) => {
    const now = new Date();
    const { count } = await tx.invitation.updateMany({
      where: { id: invitationId, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now, usedById: userId },
    });
    if (count === 0) {
      const current = await tx.invitation.findUniqueOrThrow({ where: { id: invitationId }, select: invitationSelect });
      throw new InvitationUnavailableError(invitationState(current, now) as Exclude<InvitationState, "pending">);
    }
    await tx.membership.create({ data: { workspaceId, userId, role } });
  });
}
