/** Everything a run page renders first (before the live stream takes over). */
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { assertCan } from "./permissions";
import { listRunEventsAfter } from "./run-events";
import { previewRerunReuse } from "./run-lineage";
import { getDefinitionOfVersion, getWorkflowOverview, resolveVersionOf } from "./workflows";

/**
 * The run's steps and its first events. A run with more events than `maxFrames` (a very
 * long LLM answer) renders with the first ones and the page's stream replays the rest.
 */
export async function loadRunPageData(run: { id: number; versionId: number }, maxFrames = 10_000) {
  const [definition, frames] = await Promise.all([
    getDefinitionOfVersion(run.versionId),
    listRunEventsAfter(run.id, 0, maxFrames),
  ]);
  const stepSpecs = definition.steps.map((s) => ({ id: s.id, kind: s.kind, name: s.name ?? s.id }));
  return { stepSpecs, frames, definition };
}

/** Which version a re-run should use: the run's own, another number, or a label. */
export type RerunTargetQuery = { label?: string | null; version?: number | null };

/**
 * What the re-run panel offers for a run: the workflow's versions and labels, and for the
 * chosen version (the run's own by default) its inputs, steps and, per step, what a re-run
 * from it keeps. A version or label that does not exist falls back to the run's own, with
 * a notice saying so.
 */
export async function loadRerunOptions(
  actor: Actor,
  run: { uuid: string; workflow: { id: number }; versionNumber: number },
  want: RerunTargetQuery,
) {
  assertCan(actor, "run");
  const overview = await getWorkflowOverview(actor, run.workflow.id);
  let notice: string | undefined;
  let target: { kind: "same" | "version" | "label"; version: number; label?: string };
  let resolved;
  try {
    if (want.label) {
      resolved = await resolveVersionOf(actor, overview.workflow, { label: want.label });
      target = { kind: "label", label: want.label, version: resolved.version.number };
    } else if (want.version != null && want.version !== run.versionNumber) {
      resolved = await resolveVersionOf(actor, overview.workflow, { version: want.version });
      target = { kind: "version", version: resolved.version.number };
    }
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    notice = `${error.message}; showing this run's version instead.`;
  }
  if (!resolved) {
    resolved = await resolveVersionOf(actor, overview.workflow, { version: run.versionNumber });
    target = { kind: "same", version: run.versionNumber };
  }
  const { definition } = resolved;
  return {
    target: target!,
    notice,
    versions: overview.versions.map((v) => ({ number: v.number, message: v.message })),
    labels: overview.labels.map((l) => ({ name: l.name, version: l.version })),
    inputs: definition.inputs,
    steps: definition.steps.map((s) => ({ id: s.id, name: s.name ?? s.id, kind: s.kind })),
    reuse: await previewRerunReuse(actor, run.uuid, definition),
  };
}
