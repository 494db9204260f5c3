"use server";
/**
 * Server actions of the Members settings page and the invite page: change a role, remove a
 * member, leave, create and revoke invitation links, accept one. Thin over
 * lib/services/members and lib/services/invitations, which hold every rule.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor, requireUserId } from "../auth/session";
import { roleSchema } from "../schemas/workspace";
import { acceptInvitation, createInvitation, INVITATION_MAX_DAYS, revokeInvitation } from "../services/invitations";
import { changeMemberRole, leaveWorkspace, removeMember } from "../services/members";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

const workspaceField = z.string().min(1).max(100);
const userIdField = z.string().min(1).max(100);

function pagePath(workspace: string): string {
  return `/w/${workspace}/settings/members`;
}

const roleFormSchema = z.object({ workspace: workspaceField, userId: userIdField, role: roleSchema });

/** Sets a member's role (admins and owners; owners only for anything touching the owner role). */
export async function changeMemberRoleAction(raw: unknown): Promise<ActionResult<{ userId: string; role: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(roleFormSchema, raw);
    const actor = await requireActor(form.workspace);
    const member = await changeMemberRole(actor, form.userId, form.role);
    revalidatePath(pagePath(form.workspace));
    return { userId: member.userId, role: member.role };
  });
}

const removeFormSchema = z.object({ workspace: workspaceField, userId: userIdField });

/** Removes a member; they lose access at once. */
export async function removeMemberAction(raw: unknown): Promise<ActionResult<{ userId: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(removeFormSchema, raw);
    const actor = await requireActor(form.workspace);
    await removeMember(actor, form.userId);
    revalidatePath(pagePath(form.workspace));
    return { userId: form.userId };
  });
}

const leaveFormSchema = z.object({ workspace: workspaceField });

/** The signed-in user leaves the workspace; the answer says where to go next. */
export async function leaveWorkspaceAction(raw: unknown): Promise<ActionResult<{ next: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(leaveFormSchema, raw);
    const actor = await requireActor(form.workspace);
    await leaveWorkspace(actor);
    revalidatePath("/", "layout");
    return { next: "/" };
  });
}

/** An invitation right after creation: the only answer that carries its link. */
export interface CreatedInvitation {
  id: number;
  role: string;
  email: string | null;
  path: string;
  expiresAt: string;
}

const inviteFormSchema = z.object({
  workspace: workspaceField,
  role: roleSchema,
  email: z.string().max(320).transform((s) => s.trim() || null)
    .pipe(z.email("Enter a valid email address, or leave it empty").nullable()),
  expiresInDays: z.number().int("Whole days only").min(1, "At least 1 day").max(INVITATION_MAX_DAYS, `At most ${INVITATION_MAX_DAYS} days`),
});

/** Creates an invitation link and answers it this one time. */
export async function createInvitationAction(raw: unknown): Promise<ActionResult<CreatedInvitation>> {
  return toActionResult(async () => {
    const form = parseActionInput(inviteFormSchema, raw);
    const actor = await requireActor(form.workspace);
    const created = await createInvitation(actor, { role: form.role, email: form.email, expiresInDays: form.expiresInDays });
    revalidatePath(pagePath(form.workspace));
    return { id: created.id, role: created.role, email: created.email, path: created.path, expiresAt: created.expiresAt.toISOString() };
  });
}

const revokeFormSchema = z.object({ workspace: workspaceField, id: z.number().int().positive() });

/** Revokes an unused invitation: its link stops working at once. */
export async function revokeInvitationAction(raw: unknown): Promise<ActionResult<{ id: number }>> {
  return toActionResult(async () => {
    const form = parseActionInput(revokeFormSchema, raw);
    const actor = await requireActor(form.workspace);
    await revokeInvitation(actor, form.id);
    revalidatePath(pagePath(form.workspace));
    return { id: form.id };
  });
}

const acceptFormSchema = z.object({ token: z.string().min(1).max(200) });

/** The signed-in user joins the workspace of an invitation link. */
export async function acceptInvitationAction(raw: unknown): Promise<ActionResult<{ workspace: string; role: string; alreadyMember: boolean }>> {
  return toActionResult(async () => {
    const form = parseActionInput(acceptFormSchema, raw);
    const userId = await requireUserId();
    const accepted = await acceptInvitation(userId, form.token);
    revalidatePath("/", "layout");
    return { workspace: accepted.workspace.slug, role: accepted.role, alreadyMember: accepted.alreadyMember };
  });
}
