"use server";
/** Creating a workspace from the switcher: the signed-in user becomes its owner. */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUserId } from "../auth/session";
import { createWorkspace } from "../services/workspaces";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

const createFormSchema = z.object({
  name: z.string().trim().min(1, "Give the workspace a name").max(80, "Keep the name under 80 characters"),
  slug: z.string().trim().toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]{1,39}$/, "Use 2–40 lower-case letters, digits and '-', starting with a letter or digit"),
});

export async function createWorkspaceAction(raw: unknown): Promise<ActionResult<{ slug: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(createFormSchema, raw);
    const userId = await requireUserId();
    const actor = await createWorkspace(userId, { name: form.name, slug: form.slug });
    revalidatePath("/", "layout");
    return { slug: actor.workspaceSlug };
  });
}
