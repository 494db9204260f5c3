"use server";
/** Server actions of the run console: start a run from the form, share a run. */
import { z } from "zod";
import { requireActor } from "../auth/session";
import { startRun } from "../services/runs";
import { createShareLink } from "../services/share-links";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

const startRunFormSchema = z.object({
  workspace: z.string().min(1).max(100),
  workflow: z.string().min(1).max(200),
  label: z.string().max(100).nullish(),
  version: z.number().int().positive().nullish(),
  inputs: z.record(z.string(), z.unknown()),
});


export async function startRunAction(raw: unknown): Promise<ActionResult<{ runId: string; warnings: string[] }>> {
  return toActionResult(async () => {
    const form = parseActionInput(startRunFormSchema, raw);
    const actor = await requireActor(form.workspace);
    const run = await startRun(actor, {
      workflow: form.workflow, label: form.label, version: form.version, inputs: form.inputs, origin: "ui",
    });
    return { runId: run.uuid, warnings: run.warnings };
  });
}

const shareSchema = z.object({
  workspace: z.string().min(1).max(100),
  runId: z.string().uuid(),
  includeInputs: z.boolean().default(false),
  expiresInDays: z.number().int().min(1).max(365).nullish(),
});

export async function createShareLinkAction(raw: unknown): Promise<ActionResult<{ path: string }>> {
  return toActionResult(async () => {
    const input = parseActionInput(shareSchema, raw);
    const actor = await requireActor(input.workspace);
    const link = await createShareLink(actor, input.runId, {
      includeInputs: input.includeInputs,
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
    });
    return { path: link.path };
  });
}
