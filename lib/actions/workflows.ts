"use server";
/**
 * Server actions of the workflow editor: check definition text as it is typed, read an
 * imported file, create a workflow (its v1), publish a version and move a label. Thin over
 * lib/services/workflows, which checks the "edit" permission and validates again.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "../auth/session";
import { checkDefinitionText, splitWorkflowFile, type LocatedDefinitionError, type WorkflowFileMeta } from "../engine/definition-source";
import { MAX_DEFINITION_CHARS } from "../engine/definition-import";
import { labelParamSchema } from "../schemas/api-workflows";
import { ValidationError } from "../services/errors";
import { assertCan } from "../services/permissions";
import { createWorkflow, publishVersion, reservedWorkflowName, setLabel, WORKFLOW_NAME_RE } from "../services/workflows";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

const workspaceField = z.string().min(1).max(100);
const workflowField = z.string().min(1).max(200);
const definitionText = z.string().max(MAX_DEFINITION_CHARS, "The definition is too large");
const messageField = z.string().trim().max(2000, "Keep the message under 2000 characters");

function workflowPath(workspace: string, workflow?: string): string {
  return workflow ? `/w/${workspace}/workflows/${encodeURIComponent(workflow)}` : `/w/${workspace}/workflows`;
}

/** What the editor shows under the text: the problems (each on its line) or a summary. */
export interface DefinitionCheckResult {
  valid: boolean;
  errors: LocatedDefinitionError[];
  summary: { inputs: number; steps: number; outputs: number } | null;
}

/** Checks definition text (JSON or YAML) with the engine's validator; stores nothing. */
export async function checkDefinitionAction(raw: unknown): Promise<ActionResult<DefinitionCheckResult>> {
  return toActionResult(async () => {
    const form = parseActionInput(z.object({ workspace: workspaceField, text: definitionText }), raw);
    await requireActor(form.workspace);
    const result = checkDefinitionText(form.text);
    if (!result.ok) return { valid: false, errors: result.errors, summary: null };
    const { inputs, steps, outputs } = result.definition;
    return { valid: true, errors: [], summary: { inputs: inputs.length, steps: steps.length, outputs: Object.keys(outputs).length } };
  });
}

/** Reads an imported document: a bare definition, or a workflow file with name/title/description. */
export async function readWorkflowFileAction(raw: unknown): Promise<ActionResult<{ meta: WorkflowFileMeta; definitionText: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(z.object({ workspace: workspaceField, text: definitionText }), raw);
    await requireActor(form.workspace);
    return splitWorkflowFile(form.text);
  });
}

/**
 * The definition in `text`, or a ValidationError whose details point into it
 * (`loc` = ["definition", …path]) so the form can tell them from field errors.
 */
function definitionFromText(text: string): unknown {
  const result = checkDefinitionText(text);
  if (result.ok) return result.definition;
  throw new ValidationError(
    result.errors.map((e) => ({ loc: ["definition", ...e.path], msg: e.line ? `Line ${e.line}: ${e.message}` : e.message, type: "definition" })),
    `The definition has ${result.errors.length === 1 ? "a problem" : `${result.errors.length} problems`}: nothing was published`,
  );
}

const createFormSchema = z.object({
  workspace: workspaceField,
  name: z.string().trim()
    .regex(WORKFLOW_NAME_RE, "Use lower-case letters, digits, '-' and '_' (max 63), starting with a letter or digit")
    .superRefine((name, ctx) => {
      const reserved = reservedWorkflowName(name);
      if (reserved) ctx.addIssue({ code: "custom", message: reserved });
    }),
  title: z.string().trim().max(200, "Keep the title under 200 characters"),
  description: z.string().trim().max(5000, "Keep the description under 5000 characters"),
  message: messageField,
  text: definitionText,
});

/** Creates a workflow and publishes its definition as v1. */
export async function createWorkflowAction(raw: unknown): Promise<ActionResult<{ name: string }>> {
  return toActionResult(async () => {
    const form = parseActionInput(createFormSchema, raw);
    const actor = await requireActor(form.workspace);
    // Refuse a viewer before looking at the text: the answer is the same whatever it holds.
    assertCan(actor, "edit");
    const workflow = await createWorkflow(actor, {
      name: form.name, title: form.title || undefined, description: form.description,
      definition: definitionFromText(form.text), message: form.message,
    });
    revalidatePath(workflowPath(form.workspace));
    return { name: workflow.name };
  });
}

const publishFormSchema = z.object({ workspace: workspaceField, workflow: workflowField, message: messageField, text: definitionText });

/** Publishes the definition as the workflow's next immutable version. */
export async function publishVersionAction(raw: unknown): Promise<ActionResult<{ version: number }>> {
  return toActionResult(async () => {
    const form = parseActionInput(publishFormSchema, raw);
    const actor = await requireActor(form.workspace);
    assertCan(actor, "edit");
    const version = await publishVersion(actor, form.workflow, definitionFromText(form.text), form.message);
    revalidatePath(workflowPath(form.workspace));
    revalidatePath(workflowPath(form.workspace, form.workflow), "layout");
    return { version: version.number };
  });
}

const moveLabelFormSchema = z.object({
  workspace: workspaceField,
  workflow: workflowField,
  label: z.string().trim().min(1, "Name the label").pipe(labelParamSchema),
  version: z.number().int().positive("Pick a version"),
});

/** Points a label at a version (creating the label if it is new); the move is recorded. */
export async function moveLabelAction(raw: unknown): Promise<ActionResult<{ label: string; version: number }>> {
  return toActionResult(async () => {
    const form = parseActionInput(moveLabelFormSchema, raw);
    const actor = await requireActor(form.workspace);
    const moved = await setLabel(actor, form.workflow, form.label, form.version);
    revalidatePath(workflowPath(form.workspace));
    revalidatePath(workflowPath(form.workspace, form.workflow), "layout");
    return moved;
  });
}
