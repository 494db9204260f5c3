/**
 * Re-run lineage as the run page shows it: the run a re-run came from, the re-runs a run
 * has, which steps a re-run kept from its parent, and what a re-run from each step would
 * keep. Everything is read within the actor's workspace; a parent or child in another
 * workspace cannot exist (re-runs are made in the parent's workspace) and is never read.
 */
import { db } from "../db/client";
import { planWorkflow, type WorkflowDefinition } from "../engine";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { assertCan } from "./permissions";

/** A run as a lineage link shows it. */
export interface RunLink {
  uuid: string;
  status: string;
  versionNumber: number;
  label: string | null;
  rerunFromStep: string | null;
  createdAt: Date;
}

const linkSelect = { uuid: true, status: true, versionNumber: true, label: true, rerunFromStep: true, createdAt: true } as const;

/**
 * The re-runs of a run (its children), newest first, and how many there are in all.
 * Uses the (workspaceId, parentRunId, id) index, so it stays fast however many runs exist.
 */
export async function listRerunsOfRun(actor: Actor, runId: number, limit = 20): Promise<{ runs: RunLink[]; total: number }> {
  assertCan(actor, "read");
  const where = { workspaceId: actor.workspaceId, parentRunId: runId };
  const [runs, total] = await Promise.all([
    db.run.findMany({ where, orderBy: { id: "desc" }, take: Math.min(Math.max(limit, 1), 100), select: linkSelect }),
    db.run.count({ where }),
  ]);
  return { runs, total };
}

/** The run this one re-ran (null for an original run) and the runs that re-ran this one. */
export async function getRunLineage(actor: Actor, run: { id: number; parentRunId: number | null }, limit = 20) {
  assertCan(actor, "read");
  const [parent, reruns] = await Promise.all([
    run.parentRunId == null
      ? null
      : db.run.findFirst({ where: { workspaceId: actor.workspaceId, id: run.parentRunId }, select: linkSelect }),
    listRerunsOfRun(actor, run.id, limit),
  ]);
  return { parent, reruns: reruns.runs, rerunCount: reruns.total };
}

/** The steps a re-run from `fromStep` runs again: that step and everything downstream of it. */
export function stepsRerunFrom(definition: Pick<WorkflowDefinition, "steps">, fromStep: string): Set<string> {
  const plan = planWorkflow(definition);
  const again = new Set<string>([fromStep]);
  const queue = [fromStep];
  while (queue.length) {
    for (const next of plan.dependents[queue.shift()!] ?? []) {
      if (!again.has(next)) {
        again.add(next);
        queue.push(next);
      }
    }
  }
  return again;
}

/** A step a re-run kept from its parent run. */
export interface ReusedStep {
  stepId: string;
  kind: string;
  output: unknown;
  /** How long it took in the run it came from. */
  durationMs: number | null;
}

/**
 * The steps a re-run from a step did not run itself: the parent's succeeded steps outside
 * the re-run part (the rule of rerunRun in lib/services/runs.ts), whose outputs were stored
 * with the run when it was made. Empty for any other run.
 */
export async function listReusedSteps(
  actor: Actor,
  run: { id: number; parentRunId: number | null; rerunFromStep: string | null },
  definition: Pick<WorkflowDefinition, "steps">,
): Promise<ReusedStep[]> {
  assertCan(actor, "read");
  if (!run.rerunFromStep || run.parentRunId == null) return [];
  const again = stepsRerunFrom(definition, run.rerunFromStep);
  const kinds = new Map(definition.steps.map((s) => [s.id, s.kind]));
  const fromParent = await db.stepRun.findMany({
    where: { workspaceId: actor.workspaceId, runId: run.parentRunId, status: "succeeded" },
    select: { stepId: true, kind: true },
  });
  const kept = fromParent.filter((s) => !again.has(s.stepId) && kinds.get(s.stepId) === s.kind).map((s) => s.stepId);
  if (kept.length === 0) return [];
  const rows = await db.stepRun.findMany({
    where: { workspaceId: actor.workspaceId, runId: run.id, status: "succeeded", stepId: { in: kept } },
    select: { stepId: true, kind: true, output: true, startedAt: true, finishedAt: true },
  });
  return rows.map((r) => ({
    stepId: r.stepId,
    kind: r.kind,
    output: r.output == null ? null : JSON.parse(r.output),
    durationMs: r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
  }));
}

/**
 * For each step of `definition`: the steps a re-run of `parentUuid` from that step would
 * keep (the parent's succeeded steps outside the re-run part, of the same kind). Shown next
 * to the "start from" choice so people see what they get before they re-run.
 */
export async function previewRerunReuse(
  actor: Actor,
  parentUuid: string,
  definition: Pick<WorkflowDefinition, "steps">,
): Promise<Record<string, string[]>> {
  assertCan(actor, "read");
  const parent = await db.run.findFirst({
    where: { workspaceId: actor.workspaceId, uuid: parentUuid },
    select: { steps: { where: { status: "succeeded" }, select: { stepId: true, kind: true } } },
  });
  if (!parent) throw new NotFoundError("Run");
  const kinds = new Map(definition.steps.map((s) => [s.id, s.kind]));
  const succeeded = parent.steps.filter((s) => kinds.get(s.stepId) === s.kind).map((s) => s.stepId);
  return Object.fromEntries(
    definition.steps.map((s) => {
      const again = stepsRerunFrom(definition, s.id);
      return [s.id, definition.steps.map((d) => d.id).filter((id) => !again.has(id) && succeeded.includes(id))];
    }),
  );
}
