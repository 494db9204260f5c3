/** Users and their workspaces (sign-in and the workspace switcher). */
import { db } from "../db/client";
import { verifyPassword } from "../security/passwords";
import type { Actor, Role } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { assertSignInAllowed, clearSignInFailures, recordSignInFailure } from "./sign-in-throttle";

/**
 * The user for an email + password pair, or null (same answer for unknown email and bad
 * password). Throws SignInThrottledError after too many recent failures for the email.
 */
export async function authenticateWithPassword(email: string, password: string) {
  await assertSignInAllowed(email);
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  const ok = await verifyPassword(password, user?.passwordHash);
  if (!ok || !user) {
    await recordSignInFailure(email);
    return null;
  }
  await clearSignInFailures(email);
  return { id: user.id, email: user.email, name: user.name };
}

export async function listWorkspacesForUser(userId: string) {
  const memberships = await db.membership.findMany({
    where: { userId },
    include: { workspace: { select: { id: true, slug: true, name: true } } },
    orderBy: { workspaceId: "asc" },
  });
  return memberships.map((m) => ({ ...m.workspace, role: m.role as Role }));
}

/** The actor for a signed-in user in the workspace `slug`; NotFound when not a member. */
export async function getActorForUser(userId: string, slug: string): Promise<Actor> {
  const membership = await db.membership.findFirst({
    where: { userId, workspace: { slug } },
    select: { role: true, workspace: { select: { id: true, slug: true } } },
  });
  if (!membership) throw new NotFoundError("Workspace");
  return {
    workspaceId: membership.workspace.id,
    workspaceSlug: membership.workspace.slug,
    role: membership.role as Role,
    userId,
    apiKeyId: null,
  };
}
