/**
 * Runs as callers see them: start (validate → store → enqueue), read, list, cancel.
 * The run row is committed before startRun returns, so an accepted run is never lost.
 */
import { db } from "../db/client";
import { planWorkflow, validateInputs, type InputSpec, type WorkflowDefinition } from "../engine";
import { enqueueRun, requestCancel, reserveExecution } from "../executor";
import { executionMode } from "../executor/mode";
import { isFinalStatus, type RunOrigin, type RunStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError, type ErrorDetail } from "./errors";
import { assertCan } from "./permissions";
import { fetchUrlFileInputs } from "./run-file-urls";
import { normalizeInputShape, resolveFileInputs } from "./run-inputs";
import { RUN_JOB_KEY_PREFIX, RUN_JOB_TASK } from "./run-execution";
import { DuplicateRunKeyError, insertRun } from "./run-store";
import { findWorkflow, resolveVersion, resolveVersionOf } from "./workflows";
import { expectCallback, onRunEnded } from "./callbacks";
import { databaseProvider } from "../db/config";
import { inOrderOf, runSearchSelect, runTextSearch, scanIndexedRunIds, scanWindowRunIds, type RunTextSearch, type RunWhere } from "./run-search";

export interface StartRunRequest {
  workflow: string | number;
  label?: string | null;
  version?: number | null;
  inputs?: Record<string, unknown> | { name: string; value: unknown }[] | null;
  metadata?: Record<string, string>;
  origin: RunOrigin;
  externalId?: string | null;
  parentRunId?: number | null;
  /** Unique per workspace; a repeat is answered by startRunOnce with the first run. */
  idempotencyKey?: string | null;
  /** SHA-256 of the request (set with idempotencyKey / externalId; a different one is refused). */
  requestHash?: string | null;
  /** POSTed the result when the run ends (lib/services/callbacks.ts). */
  callbackUrl?: string | null;
  /** A re-run from a step: that step's id, and the steps whose outputs are reused. */
  rerunFromStep?: string | null;
  reuseSteps?: ReusedStep[];
  /** Already resolved (a re-run passes the version it picked). */
  resolved?: Awaited<ReturnType<typeof resolveVersion>>;
}

/** A finished step of an earlier run whose output a re-run keeps. */
export interface ReusedStep {
  stepId: string;
  kind: string;
  attempts: number;
  tokens: number;
  /** JSON text. */
  output: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
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
  // A key bound to one workflow runs only that one, at its label unless the request picks one.
  const binding = actor.binding;
  const label = req.label ?? (binding && req.version == null ? binding.label : null);
  const { workflow, version, definition } = req.resolved ?? await resolveVersion(actor, req.workflow, {
    label, version: req.version,
  });
  if (binding && workflow.id !== binding.workflowId) throw new NotFoundError("Workflow");
  const given = normalizeInputShape(req.inputs);
  checkDeclaredTypes(definition.inputs, req.inputs);
  // Files given by URL are fetched and stored first; they are removed again if the request
  // is refused below, so a rejected request leaves nothing behind.
  const { inputs: withFiles, fetched } = await fetchUrlFileInputs(actor, definition.inputs, given);
  let checked: ReturnType<typeof validateInputs>;
  try {
    checked = validateInputs(definition.inputs, await resolveFileInputs(actor.workspaceId, definition.inputs, withFiles));
    if (!checked.ok) throw new ValidationError(checked.errors);
  } catch (error) {
    await fetched.discard();
    throw error;
  }

  // When the executor has room, the run is stored already claimed by it and handed over in
  // memory (no claim round trip); otherwise it is stored queued and waits its turn.
  const slot = reserveExecution();
  const status: RunStatus = slot ? "running" : "queued";
  const reuse = req.reuseSteps ?? [];
  let run: { id: number; uuid: string; jobAdded?: boolean };
  try {
    // Queued for a worker: on PostgreSQL its job is added by the same statement.
    const jobTask = !slot && executionMode() === "worker" ? { task: RUN_JOB_TASK, keyPrefix: RUN_JOB_KEY_PREFIX } : undefined;
    run = await insertRun({
      workspaceId: actor.workspaceId,
      workflowId: workflow.id,
      versionId: version.id,
      versionNumber: version.number,
      label: label ?? null,
      status,
      ...(slot && { leaseOwner: slot.owner, leaseExpiresAt: slot.leaseExpiresAt }),
      origin: req.origin,
      externalId: req.externalId ?? null,
      idempotencyKey: req.idempotencyKey ?? null,
      requestHash: req.requestHash ?? null,
      callbackUrl: req.callbackUrl ?? null,
      rerunFromStep: req.rerunFromStep ?? null,
      metadata: JSON.stringify(req.metadata ?? {}),
      totalSteps: definition.steps.length,
      createdById: actor.userId,
      apiKeyId: actor.apiKeyId,
      parentRunId: req.parentRunId ?? null,
      inputs: JSON.stringify(checked.inputs),
    }, { jobTask });
    // Reused steps are stored as this run's own finished steps, so a resumed run keeps them too.
    if (reuse.length) {
      await db.stepRun.createMany({
        data: reuse.map((s) => ({
          runId: run.id, workspaceId: actor.workspaceId, stepId: s.stepId, kind: s.kind, status: "succeeded",
          attempts: s.attempts, output: s.output, tokens: s.tokens, startedAt: s.startedAt, finishedAt: s.finishedAt,
        })),
      });
    }
  } catch (error) {
    slot?.release();
    await fetched.discard();
    throw error;
  }
  if (req.callbackUrl) expectCallback(run.id);
  if (slot) {
    slot.start({
      id: run.id, uuid: run.uuid, workspaceId: actor.workspaceId, lastSeq: 0, startedAt: null, cancelRequested: false,
      definition, inputs: checked.inputs,
      completed: Object.fromEntries(reuse.map((s) => [s.stepId, { output: s.output == null ? null : JSON.parse(s.output) }])),
    });
  } else if (!run.jobAdded) {
    await enqueueRun(run.id);
  }
  return {
    id: run.id, uuid: run.uuid, status,
    workflow: { id: workflow.id, name: workflow.name }, version: version.number, warnings: checked.warnings,
  };
}

/** A typed-list input whose `type` differs from the input's declared type is refused. */
function checkDeclaredTypes(specs: InputSpec[], raw: StartRunRequest["inputs"]): void {
  if (!Array.isArray(raw)) return;
  const types = new Map(specs.map((s) => [s.name, s.type]));
  const errors: ErrorDetail[] = [];
  raw.forEach((item, i) => {
    const declared = (item as { type?: unknown }).type;
    const actual = types.get(item?.name);
    if (declared !== undefined && actual !== undefined && declared !== actual) {
      errors.push({ loc: ["body", "inputs", i, "type"], msg: `Input '${item.name}' is of type ${actual}, not ${String(declared)}`, type: "value_error" });
    }
  });
  if (errors.length) throw new ValidationError(errors);
}

/** Keys that make a request idempotent, and the hash of the request they belong to. */
export interface RunRequestKeys {
  idempotencyKey?: string | null;
  externalId?: string | null;
  requestHash?: string | null;
}

async function findKeyedRun(actor: Actor, keys: RunRequestKeys) {
  const or = [
    ...(keys.idempotencyKey ? [{ idempotencyKey: keys.idempotencyKey }] : []),
    ...(keys.externalId ? [{ externalId: keys.externalId }] : []),
  ];
  if (or.length === 0) return null;
  return db.run.findFirst({
    where: { workspaceId: actor.workspaceId, OR: or },
    orderBy: { id: "asc" },
    select: {
      id: true, uuid: true, status: true, requestHash: true, idempotencyKey: true, versionNumber: true,
      workflow: { select: { id: true, name: true } },
    },
  });
}

/** The first run of a repeated request, or 422 when the same key came with another request. */
function replayOf(existing: NonNullable<Awaited<ReturnType<typeof findKeyedRun>>>, keys: RunRequestKeys): StartedRun {
  if (existing.requestHash !== keys.requestHash) {
    const byKey = keys.idempotencyKey != null && existing.idempotencyKey === keys.idempotencyKey;
    throw new ValidationError([{
      loc: byKey ? ["header", "Idempotency-Key"] : ["body", "external_id"],
      msg: byKey
        ? "This Idempotency-Key was already used with a different request"
        : "A run with this external_id already exists for a different request",
      type: "value_error.idempotency_conflict",
    }]);
  }
  return {
    id: existing.id, uuid: existing.uuid, status: existing.status as RunStatus,
    workflow: existing.workflow, version: existing.versionNumber, warnings: [],
  };
}

/**
 * startRun, made safe to repeat: with an Idempotency-Key or external_id, a request that was
 * already accepted returns its first run (`replayed`), and the same key with another request
 * is a 422. Concurrent duplicates race on the database's unique index: exactly one insert
 * wins, the others read the winner.
 */
export async function startRunOnce(
  actor: Actor,
  req: StartRunRequest & RunRequestKeys,
): Promise<{ run: StartedRun; replayed: boolean }> {
  if (!req.idempotencyKey && !req.externalId) return { run: await startRun(actor, req), replayed: false };
  assertCan(actor, "run");
  const existing = await findKeyedRun(actor, req);
  if (existing) return { run: replayOf(existing, req), replayed: true };
  try {
    return { run: await startRun(actor, req), replayed: false };
  } catch (error) {
    if (!(error instanceof DuplicateRunKeyError)) throw error;
    const winner = await findKeyedRun(actor, req);
    if (!winner) throw error;
    return { run: replayOf(winner, req), replayed: true };
  }
}

export interface RerunRequest {
  /** Inputs to change (merged over the original run's). */
  inputs?: StartRunRequest["inputs"];
  label?: string | null;
  /** Default: the original run's version (unless a label is given). */
  version?: number | null;
  /** Run again from this step; steps it does not depend on keep their earlier outputs. */
  fromStep?: string | null;
  metadata?: Record<string, string>;
  callbackUrl?: string | null;
  externalId?: string | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
}

/** The steps a re-run from `fromStep` must run again: the step and everything downstream of it. */
function stepsToRerun(definition: WorkflowDefinition, fromStep: string): Set<string> {
  const plan = planWorkflow(definition);
  const again = new Set<string>([fromStep]);
  const queue = [fromStep];
  while (queue.length) for (const next of plan.dependents[queue.shift()!] ?? []) if (!again.has(next)) again.add(next), queue.push(next);
  return again;
}

/**
 * Re-runs a run of the workspace: same or edited inputs, same or another version, optionally
 * from a step (earlier steps keep the original outputs). Records the parent and the step.
 */
export async function rerunRun(actor: Actor, uuid: string, req: RerunRequest) {
  assertCan(actor, "run");
  const parent = await db.run.findFirst({
    where: { workspaceId: actor.workspaceId, uuid },
    select: {
      id: true, workflowId: true, versionNumber: true, label: true,
      payload: { select: { inputs: true } },
      steps: { where: { status: "succeeded" }, select: { stepId: true, kind: true, attempts: true, tokens: true, output: true, startedAt: true, finishedAt: true } },
    },
  });
  if (!parent) throw new NotFoundError("Run");
  const workflow = await findWorkflow(actor, parent.workflowId);
  const selector = req.label ? { label: req.label, version: req.version } : { version: req.version ?? parent.versionNumber };
  const resolved = await resolveVersionOf(actor, workflow, selector);

  let reuse: ReusedStep[] = [];
  if (req.fromStep) {
    if (!resolved.definition.steps.some((s) => s.id === req.fromStep)) {
      throw new ValidationError([{ loc: ["body", "from_step"], msg: `Version ${resolved.version.number} has no step '${req.fromStep}'`, type: "value_error" }]);
    }
    const again = stepsToRerun(resolved.definition, req.fromStep);
    const kinds = new Map(resolved.definition.steps.map((s) => [s.id, s.kind]));
    reuse = parent.steps.filter((s) => !again.has(s.stepId) && kinds.get(s.stepId) === s.kind);
  }
  const original = parent.payload ? (JSON.parse(parent.payload.inputs) as Record<string, unknown>) : {};
  const inputs = { ...original, ...normalizeInputShape(req.inputs) };
  return startRunOnce(actor, {
    workflow: workflow.id, label: req.label ?? null, version: resolved.version.number, resolved,
    inputs, metadata: req.metadata, origin: "rerun", externalId: req.externalId ?? null,
    parentRunId: parent.id, rerunFromStep: req.fromStep ?? null, reuseSteps: reuse, callbackUrl: req.callbackUrl ?? null,
    idempotencyKey: req.idempotencyKey ?? null, requestHash: req.requestHash ?? null,
  });
}

const runSummarySelect = {
  id: true, uuid: true, status: true, origin: true, label: true, versionId: true, versionNumber: true,
  errorCode: true, errorMessage: true, errorStep: true, totalSteps: true, totalTokens: true,
  createdAt: true, startedAt: true, finishedAt: true, elapsedMs: true, lastSeq: true,
  externalId: true, parentRunId: true, rerunFromStep: true,
  workflow: { select: { id: true, uuid: true, name: true, title: true } },
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
  label?: string;
  versionNumber?: number;
  origin?: RunOrigin;
  createdAfter?: Date;
  createdBefore?: Date;
  /**
   * Text, case-insensitive: the run id (UUID prefix or integer id), or the external id,
   * metadata, error message, inputs or outputs contain it (lib/services/run-search.ts).
   */
  q?: string;
  /** Keyset cursor: the integer id of the last run of the previous page (older runs follow). */
  before?: number;
  /** Keyset cursor the other way: the id of the first run of the page after (newer runs). */
  after?: number;
  limit?: number;
}

type ScanDirection = "older" | "newer";

/** The ends of time for a time filter open on one side (fixed-width years: SQLite compares them as text). */
const EARLIEST = new Date("1970-01-01T00:00:00.000Z");
const LATEST = new Date("9999-12-31T23:59:59.999Z");

/**
 * Newest first, keyset-paginated on the run id (stays fast however many runs exist); with a
 * time filter, by creation time (lib/services/run-time-window.ts).
 * `nextCursor` pages to older runs (`before`), `prevCursor` to newer ones (`after`); each is
 * null when there is nothing that way.
 */
export async function listRuns(actor: Actor, query: ListRunsQuery = {}) {
  const limit = Math.min(Math.max(query.limit ?? 25, 1), 100);
  const created = {
    ...(query.createdAfter ? { gte: query.createdAfter } : {}),
    ...(query.createdBefore ? { lt: query.createdBefore } : {}),
  };
  const text = query.q ? runTextSearch(query.q, databaseProvider()) : null;
  const where: RunWhere = {
    workspaceId: actor.workspaceId,
    ...(query.workflowId ? { workflowId: query.workflowId } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.label ? { label: query.label } : {}),
    ...(query.versionNumber ? { versionNumber: query.versionNumber } : {}),
    ...(query.origin ? { origin: query.origin } : {}),
    ...(Object.keys(created).length ? { createdAt: created } : {}),
    ...(text ? text.where : {}),
  };
  // A time filter is read from the created-at index, in creation-time order (an open end is
  // the beginning or the end of time; lib/services/run-time-window.ts).
  const window = query.createdAfter || query.createdBefore
    ? { after: query.createdAfter ?? EARLIEST, before: query.createdBefore ?? LATEST } : null;
  const scan = (direction: ScanDirection, from: number | undefined, take: number) =>
    text?.index ? scanIndexedRunIds(where, { ...text, index: text.index }, actor.workspaceId, direction, from, take)
      : window && !text ? scanWindowRunIds(where, actor.workspaceId, window, direction, from, take)
        : scanRunIds(where, text, direction, from, take);

  let ids: number[];
  let hasOlder: boolean;
  let hasNewer: boolean;
  if (query.after != null && query.before == null) {
    const newer = await scan("newer", query.after, limit + 1);
    // Nothing newer than the cursor any more: show the newest page instead of an empty one.
    if (newer.length === 0) return listRuns(actor, { ...query, after: undefined });
    hasNewer = newer.length > limit;
    ids = newer.slice(0, limit).reverse();
    hasOlder = (await scan("older", ids[ids.length - 1], 1)).length > 0;
  } else {
    const older = await scan("older", query.before, limit + 1);
    hasOlder = older.length > limit;
    ids = older.slice(0, limit);
    hasNewer = query.before != null && ids.length > 0 && (await scan("newer", ids[0], 1)).length > 0;
  }
  const rows = ids.length
    ? inOrderOf(ids, await db.run.findMany({ where: { workspaceId: actor.workspaceId, id: { in: ids } }, select: runSummarySelect }))
    : [];
  return {
    runs: rows,
    nextCursor: hasOlder && rows.length ? rows[rows.length - 1].id : null,
    prevCursor: hasNewer && rows.length ? rows[0].id : null,
  };
}

/**
 * Ids of matching runs from a cursor, one direction, in that order. A keyset walk on the
 * (workspaceId, …, id) indexes; when the text search needs a second look (SQLite with `%` or
 * `_` in the text), candidates are read in batches and checked until enough match.
 */
async function scanRunIds(
  where: RunWhere, text: RunTextSearch | null, direction: ScanDirection, from: number | undefined, take: number,
): Promise<number[]> {
  const orderBy = { id: direction === "older" ? "desc" : "asc" } as const;
  const past = (id: number | undefined): RunWhere => (id == null ? {} : { id: direction === "older" ? { lt: id } : { gt: id } });
  if (!text?.recheck) {
    const rows = await db.run.findMany({ where: { AND: [where, past(from)] }, orderBy, take, select: { id: true } });
    return rows.map((r) => r.id);
  }
  const batch = Math.max(take * 4, 100);
  const found: number[] = [];
  let cursor = from;
  for (;;) {
    const rows = await db.run.findMany({ where: { AND: [where, past(cursor)] }, orderBy, take: batch, select: runSearchSelect });
    for (const row of rows) {
      if (text.matches(row)) found.push(row.id);
      if (found.length === take) return found;
    }
    if (rows.length < batch) return found;
    cursor = rows[rows.length - 1].id;
  }
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
  // A queued run ends right here, not in an executor: its callback is due now.
  if (run.status === "queued") await onRunEnded(run.id);
  return { status: "cancelling", changed: true };
}
