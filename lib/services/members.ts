/**
 * Workspace members and their roles. Rules, enforced here for every caller:
 * - anyone in the workspace may list its members and leave it;
 * - changing a role or removing someone needs the manage permission (admin or owner);
 * - only an owner may make someone owner, or change or remove an owner;
 * - a workspace always keeps at least one owner (the last one can be neither demoted,
 *   removed, nor leave).
 * A user id that is not a member of the actor's workspace is NotFound, like a missing one.
 */
import { db } from "../db/client";
import { roleSchema, type Actor, type Role } from "../schemas/workspace";
import { ConflictError, ForbiddenError, NotFoundError } from "./errors";
import { assertCan } from "./permissions";

export interface MemberInfo {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: Date;
}

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, member: 2, viewer: 3 };

function toRole(value: string): Role {
  const parsed = roleSchema.safeParse(value);
  // An unknown stored role grants nothing beyond reading.
  return parsed.success ? parsed.data : "viewer";
}

/** The workspace's members: owners first, then admins, members, viewers; by email within a role. */
export async function listMembers(actor: Actor): Promise<MemberInfo[]> {
  assertCan(actor, "read");
  const rows = await db.membership.findMany({
    where: { workspaceId: actor.workspaceId },
    select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
    take: 1000,
  });
  return rows
    .map((m) => ({ userId: m.user.id, email: m.user.email, name: m.user.name, role: toRole(m.role), joinedAt: m.createdAt }))
    .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.email.localeCompare(b.email));
}

type Tx = Parameters<Parameters<typeof db.$transaction>[0]>[0];

/**
 * Opens a transaction that holds the workspace row's write lock, so two changes to the same
 * workspace's memberships cannot both pass the "one owner remains" check (PostgreSQL locks
 * the row; SQLite has one writer anyway).
 */
function inWorkspaceLock<T>(workspaceId: number, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`UPDATE "Workspace" SET "slug" = "slug" WHERE "id" = ${workspaceId}`;
    return work(tx);
  });
}

async function findMembership(tx: Tx, workspaceId: number, userId: string) {
  const row = await tx.membership.findFirst({ where: { workspaceId, userId }, select: { id: true, role: true } });
  if (!row) throw new NotFoundError("Member");
  return { id: row.id, role: toRole(row.role) };
}

async function assertOwnerRemains(tx: Tx, workspaceId: number, message: string) {
  const owners = await tx.membership.count({ where: { workspaceId, role: "owner" } });
  if (owners === 0) throw new ConflictError(message);
}

const LAST_OWNER = "A workspace needs at least one owner: make someone else owner first";

/** Sets a member's role. Returns the member as stored afterwards. */
export async function changeMemberRole(actor: Actor, userId: string, role: Role): Promise<MemberInfo> {
  assertCan(actor, "manage");
  const newRole = roleSchema.parse(role);
  await inWorkspaceLock(actor.workspaceId, async (tx) => {
    const target = await findMembership(tx, actor.workspaceId, userId);
    if (target.role === newRole) return;
    if ((newRole === "owner" || target.role === "owner") && actor.role !== "owner") {
      throw new ForbiddenError("Only an owner can make someone owner or change an owner's role");
    }
    await tx.membership.update({ where: { id: target.id }, data: { role: newRole } });
    await assertOwnerRemains(tx, actor.workspaceId, LAST_OWNER);
  });
  const member = (await listMembers(actor)).find((m) => m.userId === userId);
  if (!member) throw new NotFoundError("Member");
  return member;
}

/** Removes someone from the workspace. Removing yourself is leaving (see leaveWorkspace). */
export async function removeMember(actor: Actor, userId: string): Promise<void> {
  if (actor.userId !== null && userId === actor.userId) return leaveWorkspace(actor);
  assertCan(actor, "manage");
  await inWorkspaceLock(actor.workspaceId, async (tx) => {
    const target = await findMembership(tx, actor.workspaceId, userId);
    if (target.role === "owner" && actor.role !== "owner") {
      throw new ForbiddenError("Only an owner can remove an owner");
    }
    await tx.membership.delete({ where: { id: target.id } });
    await assertOwnerRemains(tx, actor.workspaceId, LAST_OWNER);
  });
}

/** The signed-in user leaves the workspace (not allowed for its last owner). */
export async function leaveWorkspace(actor: Actor): Promise<void> {
  assertCan(actor, "read");
  const userId = actor.userId;
  if (!userId) throw new ForbiddenError("Only a signed-in user can leave a workspace");
  await inWorkspaceLock(actor.workspaceId, async (tx) => {
    const me = await findMembership(tx, actor.workspaceId, userId);
    await tx.membership.delete({ where: { id: me.id } });
    await assertOwnerRemains(tx, actor.workspaceId,
      "You are the last owner of this workspace: make someone else owner before you leave");
  });
}
