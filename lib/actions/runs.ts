"use server";
/** Server actions of the run console: start a run from the form, share a run, bulk cancel / re-run. */
import { z } from "zod";
import { requireActor } from "../auth/session";
import { startRun } from "../services/runs";
import { cancelRuns, MAX_BULK_RUNS, rerunRuns, type BulkCancelResult, type BulkRerunResult } from "../services/run-bulk";
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

const bulkSchema = z.object({
  workspace: z.string().min(1).max(100),
  runIds: z.array(z.string().uuid()).min(1, "Select at least one run").max(MAX_BULK_RUNS, `At most ${MAX_BULK_RUNS} runs at a time`),
});

/** Cancels the selected runs that are queued or running; the others are counted as skipped. */
export async function cancelRunsAction(raw: unknown): Promise<ActionResult<BulkCancelResult>> {
  return toActionResult(async () => {
    const input = parseActionInput(bulkSchema, raw);
    const actor = await requireActor(input.workspace);
    return cancelRuns(actor, input.runIds);
  });
}

/** Re-runs the selected runs: same inputs, same version. */
export async function rerunRunsAction(raw: unknown): Promise<ActionResult<BulkRerunResult>> {
  return toActionResult(async () => {
    const input = parseActionInput(bulkSchema, raw);
    const actor = await requireActor(input.workspace);
    return rerunRuns(actor, input.runIds);
  });
}
