"use server";
/**
 * Server actions of the Secrets settings page: save an LLM provider, save any secret, delete
 * one. Thin over lib/services/secrets (which checks the "manage" permission and seals the
 * value); nothing here ever sends a value back to the browser.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "../auth/session";
import { llmProviderSecretSchema } from "../engine";
import { deleteSecret, secretNameSchema, setSecret } from "../services/secrets";
import { ValidationError, type ErrorDetail } from "../services/errors";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

/** What a save answers: the name and when it changed (never the value). */
export interface SavedSecret {
  name: string;
  updatedAt: string;
}

const workspaceField = z.string().min(1).max(100);

/** Field problems keyed by the form's field name, so the form can show each under its input. */
function fieldIssues(field: string, result: z.ZodSafeParseResult<unknown>): ErrorDetail[] {
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ loc: [field], msg: issue.message, type: issue.code }));
}


function pagePath(workspace: string): string {
  return `/w/${workspace}/settings/secrets`;
}

const llmProviderFormSchema = z.object({
  workspace: workspaceField,
  name: z.string().max(200).default("llm"),
  base_url: z.string().max(2_000),
  api_key: z.string().max(10_000),
  model: z.string().max(200).default(""),
});

/**
 * Saves an LLM provider as the JSON value the llm step reads ({base_url, api_key, model?}),
 * checked with the step's own schema so a saved provider is one the step accepts.
 */
export async function saveLlmProviderAction(raw: unknown): Promise<ActionResult<SavedSecret>> {
  return toActionResult(async () => {
    const form = parseActionInput(llmProviderFormSchema, raw);
    const name = form.name.trim() || "llm";
    const model = form.model.trim();
    const provider = { base_url: form.base_url.trim(), api_key: form.api_key.trim(), ...(model && { model }) };
    const nameCheck = secretNameSchema.safeParse(name);
    const providerCheck = llmProviderSecretSchema.safeParse(provider);
    // Every field's problem at once, not just the first one.
    const issues = [
      ...fieldIssues("name", nameCheck),
      ...(providerCheck.success ? [] : providerCheck.error.issues.map((i) => ({ loc: [String(i.path[0] ?? "base_url")], msg: i.message, type: i.code }))),
    ];
    if (issues.length > 0) throw new ValidationError(issues);

    const actor = await requireActor(form.workspace);
    const saved = await setSecret(actor, name, JSON.stringify(providerCheck.data));
    revalidatePath(pagePath(form.workspace));
    return { name: saved.name, updatedAt: saved.updatedAt.toISOString() };
  });
}

const secretFormSchema = z.object({
  workspace: workspaceField,
  name: z.string().max(200),
  value: z.string().max(70_000),
});

/** Creates a secret or replaces its value (any text; the service checks name and size). */
export async function saveSecretAction(raw: unknown): Promise<ActionResult<SavedSecret>> {
  return toActionResult(async () => {
    const form = parseActionInput(secretFormSchema, raw);
    const actor = await requireActor(form.workspace);
    const saved = await setSecret(actor, form.name.trim(), form.value);
    revalidatePath(pagePath(form.workspace));
    return { name: saved.name, updatedAt: saved.updatedAt.toISOString() };
  });
}

const deleteFormSchema = z.object({ workspace: workspaceField, name: z.string().min(1).max(200) });

/** Deletes a secret; runs that need it fail with instructions until it is added again. */
export async function deleteSecretAction(raw: unknown): Promise<ActionResult<{ name: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(deleteFormSchema, raw);
    const actor = await requireActor(form.workspace);
    await deleteSecret(actor, form.name);
    revalidatePath(pagePath(form.workspace));
    return { name: form.name };
  });
}
