"use server";
/** Server actions of the run page: re-run a run (same or edited inputs, version, from a step) and cancel it. */
import { z } from "zod";
import { requireActor } from "../auth/session";
import { cancelRun, rerunRun } from "../services/runs";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

const rerunSchema = z
  .object({
    workspace: z.string().min(1).max(100),
    runId: z.string().uuid(),
    /** Inputs to change; merged over the original run's (a null clears one). */
    inputs: z.record(z.string(), z.unknown()).optional(),
    label: z.string().min(1).max(100).nullish(),
    version: z.number().int().positive().nullish(),
    fromStep: z.string().min(1).max(200).nullish(),
  })
  .refine((v) => !(v.label && v.version), { message: "Pick a label or a version, not both", path: ["version"] });

export async function rerunRunAction(raw: unknown): Promise<ActionResult<{ runId: string; warnings: string[] }>> {
  return toActionResult(async () => {
    const input = parseActionInput(rerunSchema, raw);
    const actor = await requireActor(input.workspace);
    const { run } = await rerunRun(actor, input.runId, {
      inputs: input.inputs, label: input.label ?? null, version: input.version ?? null, fromStep: input.fromStep ?? null,
    });
    return { runId: run.uuid, warnings: run.warnings };
  });
}

const cancelSchema = z.object({ workspace: z.string().min(1).max(100), runId: z.string().uuid() });

export async function cancelRunAction(raw: unknown): Promise<ActionResult<{ status: string; changed: boolean }>> {
  return toActionResult(async () => {
    const input = parseActionInput(cancelSchema, raw);
    const actor = await requireActor(input.workspace);
    return cancelRun(actor, input.runId);
  });
}
