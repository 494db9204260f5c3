"use server";
/**
 * Server actions of the API keys settings page: create a key (its full value is answered
 * this one time only) and revoke one. Thin over lib/services/api-keys, which checks the
 * "manage" permission and stores only a hash.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "../auth/session";
import { apiKeyRoleSchema, labelParamSchema } from "../schemas/api-workflows";
import { createApiKey, revokeApiKey } from "../services/api-keys";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

/** A key right after creation: the only answer that carries `key`. */
export interface CreatedKey {
  id: number;
  name: string;
  key: string;
}

const workspaceField = z.string().min(1).max(100);
/** An empty form field means "none". */
const optionalText = (max: number) => z.string().max(max).transform((s) => s.trim() || null);


function pagePath(workspace: string): string {
  return `/w/${workspace}/settings/api-keys`;
}

const createFormSchema = z
  .object({
    workspace: workspaceField,
    name: z.string().trim().min(1, "Give the key a name").max(100, "Keep the name under 100 characters"),
    role: apiKeyRoleSchema,
    workflow: optionalText(200),
    label: optionalText(100).pipe(labelParamSchema.nullable()),
  })
  .superRefine((form, ctx) => {
    if (form.label && !form.workflow) {
      ctx.addIssue({ code: "custom", path: ["label"], message: "A label needs a bound workflow" });
    }
  });

/** Creates a key, optionally bound to one workflow (and label), and answers it once. */
export async function createApiKeyAction(raw: unknown): Promise<ActionResult<CreatedKey>> {
  return toActionResult(async () => {
    const form = parseActionInput(createFormSchema, raw);
    const actor = await requireActor(form.workspace);
    const created = await createApiKey(actor, { name: form.name, role: form.role, workflow: form.workflow, label: form.label });
    revalidatePath(pagePath(form.workspace));
    return { id: created.id, name: created.name, key: created.key };
  });
}

const revokeFormSchema = z.object({ workspace: workspaceField, id: z.number().int().positive() });

/** Revokes a key: requests with it answer 401 from now on. */
export async function revokeApiKeyAction(raw: unknown): Promise<ActionResult<{ id: number }>> {
  return toActionResult(async () => {
    const form = parseActionInput(revokeFormSchema, raw);
    const actor = await requireActor(form.workspace);
    await revokeApiKey(actor, form.id);
    revalidatePath(pagePath(form.workspace));
    return { id: form.id };
  });
}
