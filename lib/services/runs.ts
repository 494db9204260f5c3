/**
 * Runs as callers see them: start (validate → store → enqueue), read, list, cancel.
 * The run row is committed before startRun returns, so an accepted run is never lost.
 */
import { db } from "../db/client";
import { validateInputs } from "../engine";
import { enqueueRun, requestCancel, reserveExecution } from "../executor";
import { isFinalStatus, type RunOrigin, type RunStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError } from "./errors";
import { assertCan } from "./permissions";
import { normalizeInputShape, resolveFileInputs } from "./run-inputs";
import { insertRun } from "./run-store";
import { resolveVersion } from "./workflows";

export interface StartRunRequest {
  workflow: string | number;
  label?: string | null;
  version?: number | null;
  inputs?: Record<string, unknown> | { name: string; value: unknown }[] | null;
  metadata?: Record<string, string>;
  origin: RunOrigin;
  externalId?: string | null;
  parentRunId?: number | null;
}

export interface StartedRun {
  id: number;
  uuid: string;
  status: RunStatus;
  workflow: { id: number; name: string };
  version: number;
  warnings: string[];
}

export async function startRun(actor: Actor, req: StartRunRequest): Promise<StartedRun> {
  assertCan(actor, "run");
  const { workflow, version, definition } = await resolveVersion(actor, req.workflow, {
    label: req.label, version: req.version,
  });
  const raw = await resolveFileInputs(actor.workspaceId, definition.inputs, normalizeInputShape(req.inputs));
  const checked = validateInputs(definition.inputs, raw);
  if (!checked.ok) throw new ValidationError(checked.errors);

  // When the executor has room, the run is stored already claimed by it and handed over in
  // memory (no claim round trip); otherwise it is stored queued and waits its turn.
  const slot = reserveExecution();
  const status: RunStatus = slot ? "running" : "queued";
  let run: { id: number; uuid: string };
  try {
    run = await insertRun({
      workspaceId: actor.workspaceId,
      workflowId: workflow.id,
      versionId: version.id,
      versionNumber: version.number,
      label: req.label ?? null,
      status,
      ...(slot && { leaseOwner: slot.owner, leaseExpiresAt: slot.leaseExpiresAt }),
      origin: req.origin,
      externalId: req.externalId ?? null,
      metadata: JSON.stringify(req.metadata ?? {}),
      totalSteps: definition.steps.length,
      createdById: actor.userId,
      apiKeyId: actor.apiKeyId,
      parentRunId: req.parentRunId ?? null,
      inputs: JSON.stringify(checked.inputs),
    });
  } catch (error) {
    slot?.release();
    throw error;
  }
  if (slot) {
    slot.start({
      id: run.id, uuid: run.uuid, workspaceId: actor.workspaceId, lastSeq: 0, startedAt: null, cancelRequested: false,
      definition, inputs: checked.inputs, completed: {},
    });
  } else {
    enqueueRun(run.id);
  }
  return {
    id: run.id, uuid: run.uuid, status,
    workflow: { id: workflow.id, name: workflow.name }, version: version.number, warnings: checked.warnings,
  };
}

const runSummarySelect = {
  id: true, uuid: true, status: true, origin: true, label: true, versionId: true, versionNumber: true,
  errorCode: true, errorMessage: true, errorStep: true, totalSteps: true, totalTokens: true,
  createdAt: true, startedAt: true, finishedAt: true, elapsedMs: true, lastSeq: true,
  workflow: { select: { id: true, name: true, title: true } },
} as const;

const runDetailSelect = {
  ...runSummarySelect, metadata: true, parentRunId: true,
  payload: { select: { inputs: true, outputs: true } },
  steps: {
    select: { stepId: true, kind: true, status: true, attempts: true, error: true, startedAt: true, finishedAt: true },
  },
} as const;

function loadRunDetailRow(where: { workspaceId: number; uuid: string } | { id: number }) {
  return db.run.findFirst({ where, select: runDetailSelect });
}
type RunDetailRow = NonNullable<Awaited<ReturnType<typeof loadRunDetailRow>>>;

/** One run with everything the run page shows. NotFound for foreign or unknown ids. */
export async function getRunDetail(actor: Actor, uuid: string) {
  const run = await loadRunDetailRow({ workspaceId: actor.workspaceId, uuid });
  if (!run) throw new NotFoundError("Run");
  return shapeRunDetail(run);
}

export function shapeRunDetail(run: RunDetailRow) {
  const { payload, metadata, ...rest } = run;
  return {
    ...rest,
    metadata: JSON.parse(metadata) as Record<string, string>,
    inputs: payload ? (JSON.parse(payload.inputs) as Record<string, unknown>) : {},
    outputs: payload?.outputs ? (JSON.parse(payload.outputs) as Record<string, unknown>) : null,
  };
}
export type RunDetail = ReturnType<typeof shapeRunDetail>;

/** Internal: a run by its integer id, with no tenancy check (share links, executor). */
export async function getRunDetailById(runId: number): Promise<RunDetail | null> {
  const run = await loadRunDetailRow({ id: runId });
  return run ? shapeRunDetail(run) : null;
}

/** The run's integer id for a UUID in the actor's workspace (NotFound otherwise). */
export async function findRunId(actor: Actor, uuid: string): Promise<{ id: number; status: string }> {
  const run = await db.run.findFirst({ where: { workspaceId: actor.workspaceId, uuid }, select: { id: true, status: true } });
  if (!run) throw new NotFoundError("Run");
  return run;
}

export interface ListRunsQuery {
  workflowId?: number;
  status?: RunStatus;
  /** Keyset cursor: the integer id of the last run of the previous page. */
  before?: number;
  limit?: number;
}

/** Newest first, keyset-paginated on the run id (stays fast however many runs exist). */
export async function listRuns(actor: Actor, query: ListRunsQuery = {}) {
  const limit = Math.min(Math.max(query.limit ?? 25, 1), 100);
  const rows = await db.run.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(query.workflowId ? { workflowId: query.workflowId } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.before ? { id: { lt: query.before } } : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
    select: runSummarySelect,
  });
  const page = rows.slice(0, limit);
  return { runs: page, nextCursor: rows.length > limit ? page[page.length - 1].id : null };
}

/** Asks a run to stop. Queued runs end at once; running ones are aborted by their executor. */
export async function cancelRun(actor: Actor, uuid: string) {
  assertCan(actor, "run");
  const run = await findRunId(actor, uuid);
  if (isFinalStatus(run.status)) return { status: run.status, changed: false };
  await db.run.updateMany({
    where: { id: run.id, workspaceId: actor.workspaceId, cancelRequestedAt: null },
    data: { cancelRequestedAt: new Date() },
  });
  await requestCancel(run.id);
  return { status: "cancelling", changed: true };
}
