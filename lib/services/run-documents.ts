/**
 * Runs as the public API documents them (lib/schemas/api-runs.ts): the one shape that
 * GET /runs/{id}, blocking answers, list pages and callback bodies all use.
 */
import { db } from "../db/client";
import { hasDirectPg, pgDirectQuery } from "../db/pg-direct";
import { INT4_MAX, INT4_MIN } from "../db/pg-values";
import { directAll, hasDirectSqlite, sqliteDate } from "../db/sqlite-direct";
import type { RunDoc, RunSummaryDoc } from "../schemas/api-runs";
import type { RunStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Paths of a run in the API and the console. */
export function runLinks(uuid: string, workspaceSlug: string) {
  const url = `/api/v1/runs/${uuid}`;
  return { url, events_url: `${url}/events`, web_url: `/w/${workspaceSlug}/runs/${uuid}` };
}

/** The row fields a summary needs. */
export interface RunSummaryRow {
  uuid: string;
  status: string;
  origin: string;
  label: string | null;
  versionNumber: number;
  externalId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorStep: string | null;
  totalSteps: number;
  totalTokens: number;
  elapsedMs: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  parentRunId: number | null;
  rerunFromStep: string | null;
  workflow: { id: number; uuid: string; name: string; title: string };
}

/** UUIDs of parent runs by integer id (one query for a whole page). */
export async function parentUuids(workspaceId: number, ids: (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id != null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.run.findMany({ where: { workspaceId, id: { in: wanted } }, select: { id: true, uuid: true } });
  return new Map(rows.map((r) => [r.id, r.uuid]));
}

export function toRunSummaryDoc(row: RunSummaryRow, workspaceSlug: string, parents: Map<number, string>): RunSummaryDoc {
  return {
    id: row.uuid,
    ...runLinks(row.uuid, workspaceSlug),
    workflow: row.workflow,
    version: row.versionNumber,
    label: row.label,
    status: row.status as RunStatus,
    origin: row.origin,
    external_id: row.externalId,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? "", step_id: row.errorStep } : null,
    total_steps: row.totalSteps,
    total_tokens: row.totalTokens,
    elapsed_ms: row.elapsedMs,
    created_at: row.createdAt.toISOString(),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    parent_run_id: row.parentRunId != null ? (parents.get(row.parentRunId) ?? null) : null,
    rerun_from_step: row.rerunFromStep,
  };
}

function documentSelect(withStepOutputs: boolean) {
  return {
    id: true, uuid: true, workspaceId: true, status: true, origin: true, label: true, versionNumber: true, externalId: true,
    metadata: true, errorCode: true, errorMessage: true, errorStep: true, totalSteps: true, totalTokens: true, elapsedMs: true,
    createdAt: true, startedAt: true, finishedAt: true, parentRunId: true, rerunFromStep: true, callbackUrl: true,
    workspace: { select: { slug: true } },
    workflow: { select: { id: true, uuid: true, name: true, title: true } },
    payload: { select: { inputs: true, outputs: true } },
    steps: {
      orderBy: { id: "asc" as const },
      select: {
        stepId: true, kind: true, status: true, attempts: true, error: true, startedAt: true, finishedAt: true,
        output: withStepOutputs,
      },
    },
    callbacks: {
      orderBy: { id: "asc" as const },
      select: { attempt: true, state: true, statusCode: true, error: true, createdAt: true, nextAttemptAt: true },
    },
  };
}

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text == null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Everything a run document is made of, however it was read. */
type DocumentRows = RunSummaryRow & {
  metadata: string;
  callbackUrl: string | null;
  workspaceSlug: string;
  parentUuid: string | null;
  payload: { inputs: string; outputs: string | null } | null;
  steps: {
    stepId: string; kind: string; status: string; attempts: number; error: string | null;
    startedAt: Date | null; finishedAt: Date | null; output?: string | null;
  }[];
  callbacks: {
    attempt: number; state: string; statusCode: number | null; error: string | null; createdAt: Date; nextAttemptAt: Date | null;
  }[];
};

type DocumentWhere = { id: number } | { workspaceId: number; uuid: string } | { workspaceId: number; id: number };

async function readWithPrisma(where: DocumentWhere, withStepOutputs: boolean): Promise<DocumentRows | null> {
  const run = await db.run.findFirst({ where, select: documentSelect(withStepOutputs) });
  if (!run) return null;
  const parents = await parentUuids(run.workspaceId, [run.parentRunId]);
  return {
    ...run, workspaceSlug: run.workspace.slug,
    parentUuid: run.parentRunId != null ? (parents.get(run.parentRunId) ?? null) : null,
  };
}

const DOC_RUN_SQL = `SELECT r."uuid", r."status", r."origin", r."label", r."versionNumber", r."externalId", r."errorCode",
  r."errorMessage", r."errorStep", r."totalSteps", r."totalTokens", r."elapsedMs", r."createdAt", r."startedAt",
  r."finishedAt", r."parentRunId", r."rerunFromStep", r."metadata", r."callbackUrl", r."id",
  w."slug" AS "workspaceSlug", f."id" AS "wfId", f."uuid" AS "wfUuid", f."name" AS "wfName", f."title" AS "wfTitle",
  p."inputs" AS "inputs", p."outputs" AS "outputs", p."runId" AS "payloadRunId", pr."uuid" AS "parentUuid"
  FROM "Run" r JOIN "Workspace" w ON w."id" = r."workspaceId" JOIN "Workflow" f ON f."id" = r."workflowId"
  LEFT JOIN "RunPayload" p ON p."runId" = r."id" LEFT JOIN "Run" pr ON pr."id" = r."parentRunId" AND pr."workspaceId" = r."workspaceId"`;
const DOC_STEPS_SQL = `SELECT "stepId", "kind", "status", "attempts", "error", "startedAt", "finishedAt", "output" FROM "StepRun" WHERE "runId" = ? ORDER BY "id"`;
const DOC_CALLBACKS_SQL = `SELECT "attempt", "state", "statusCode", "error", "createdAt", "nextAttemptAt" FROM "CallbackDelivery" WHERE "runId" = ? ORDER BY "id"`;

/** The same rows in three prepared statements on SQLite (the blocking API answer reads this once per run). */
function readDirect(where: DocumentWhere, withStepOutputs: boolean): DocumentRows | null {
  const [r] = "uuid" in where
    ? directAll(`${DOC_RUN_SQL} WHERE r."workspaceId" = ? AND r."uuid" = ?`, where.workspaceId, where.uuid)
    : "workspaceId" in where
      ? directAll(`${DOC_RUN_SQL} WHERE r."workspaceId" = ? AND r."id" = ?`, where.workspaceId, where.id)
      : directAll(`${DOC_RUN_SQL} WHERE r."id" = ?`, where.id);
  if (!r) return null;
  return documentRows(r, directAll(DOC_STEPS_SQL, r.id), directAll(DOC_CALLBACKS_SQL, r.id), sqliteDate, withStepOutputs);
}

// PostgreSQL: the same rows in one statement, steps and deliveries as JSON arrays.
const DOC_STEPS_JSON_PG = `(SELECT coalesce(json_agg(json_build_object('stepId', s."stepId", 'kind', s."kind", 'status', s."status",
  'attempts', s."attempts", 'error', s."error", 'startedAt', s."startedAt", 'finishedAt', s."finishedAt", 'output', s."output") ORDER BY s."id"), '[]')
  FROM "StepRun" s WHERE s."runId" = r."id") AS "stepsJson"`;
const DOC_CALLBACKS_JSON_PG = `(SELECT coalesce(json_agg(json_build_object('attempt', c."attempt", 'state', c."state", 'statusCode', c."statusCode",
  'error', c."error", 'createdAt', c."createdAt", 'nextAttemptAt', c."nextAttemptAt") ORDER BY c."id"), '[]')
  FROM "CallbackDelivery" c WHERE c."runId" = r."id") AS "callbacksJson"`;
const DOC_RUN_SQL_PG = DOC_RUN_SQL.replace(' FROM "Run" r', `, ${DOC_STEPS_JSON_PG}, ${DOC_CALLBACKS_JSON_PG} FROM "Run" r`);

/** PostgreSQL `timestamp` values (as Date from the driver, or text inside JSON) read as UTC. */
function pgDate(value: unknown): Date | null {
  if (value == null) return null;
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(String(value)) ? String(value) : `${String(value)}Z`);
}

async function readDirectPg(where: DocumentWhere, withStepOutputs: boolean): Promise<DocumentRows | null> {
  // Run ids are int4 on PostgreSQL, which refuses a larger number as a parameter (a 500 for
  // /workflow-version-execution-results?…=99999999999): no run has such an id.
  if ("id" in where && (where.id > INT4_MAX || where.id < INT4_MIN)) return null;
  const [r] = "uuid" in where
    ? await pgDirectQuery(`${DOC_RUN_SQL_PG} WHERE r."workspaceId" = $1 AND r."uuid" = $2`, [where.workspaceId, where.uuid])
    : "workspaceId" in where
      ? await pgDirectQuery(`${DOC_RUN_SQL_PG} WHERE r."workspaceId" = $1 AND r."id" = $2`, [where.workspaceId, where.id])
      : await pgDirectQuery(`${DOC_RUN_SQL_PG} WHERE r."id" = $1`, [where.id]);
  if (!r) return null;
  return documentRows(r, r.stepsJson as Record<string, unknown>[], r.callbacksJson as Record<string, unknown>[], pgDate, withStepOutputs);
}

function documentRows(
  r: Record<string, unknown>, stepRows: Record<string, unknown>[], callbackRows: Record<string, unknown>[],
  date: (value: unknown) => Date | null, withStepOutputs: boolean,
): DocumentRows {
  const str = (v: unknown) => (v == null ? null : String(v));
  return {
    uuid: String(r.uuid), status: String(r.status), origin: String(r.origin), label: str(r.label),
    versionNumber: Number(r.versionNumber), externalId: str(r.externalId), errorCode: str(r.errorCode),
    errorMessage: str(r.errorMessage), errorStep: str(r.errorStep), totalSteps: Number(r.totalSteps),
    totalTokens: Number(r.totalTokens), elapsedMs: r.elapsedMs == null ? null : Number(r.elapsedMs),
    createdAt: date(r.createdAt)!, startedAt: date(r.startedAt), finishedAt: date(r.finishedAt),
    parentRunId: r.parentRunId == null ? null : Number(r.parentRunId), rerunFromStep: str(r.rerunFromStep),
    workflow: { id: Number(r.wfId), uuid: String(r.wfUuid), name: String(r.wfName), title: String(r.wfTitle) },
    metadata: String(r.metadata), callbackUrl: str(r.callbackUrl), workspaceSlug: String(r.workspaceSlug),
    parentUuid: str(r.parentUuid),
    payload: r.payloadRunId == null ? null : { inputs: String(r.inputs), outputs: str(r.outputs) },
    steps: stepRows.map((s) => ({
      stepId: String(s.stepId), kind: String(s.kind), status: String(s.status), attempts: Number(s.attempts), error: str(s.error),
      startedAt: date(s.startedAt), finishedAt: date(s.finishedAt), ...(withStepOutputs && { output: str(s.output) }),
    })),
    callbacks: callbackRows.map((c) => ({
      attempt: Number(c.attempt), state: String(c.state), statusCode: c.statusCode == null ? null : Number(c.statusCode),
      error: str(c.error), createdAt: date(c.createdAt)!, nextAttemptAt: date(c.nextAttemptAt),
    })),
  };
}

async function loadDocument(where: DocumentWhere, withStepOutputs: boolean, viaPrisma = false): Promise<RunDoc | null> {
  const run = viaPrisma
    ? await readWithPrisma(where, withStepOutputs)
    : hasDirectSqlite() ? readDirect(where, withStepOutputs) : hasDirectPg() ? await readDirectPg(where, withStepOutputs) : await readWithPrisma(where, withStepOutputs);
  if (!run) return null;
  const parents = new Map(run.parentRunId != null && run.parentUuid ? [[run.parentRunId, run.parentUuid]] : []);
  const doc: RunDoc = {
    ...toRunSummaryDoc(run, run.workspaceSlug, parents),
    metadata: parseJson<Record<string, string>>(run.metadata, {}),
    inputs: parseJson<Record<string, unknown>>(run.payload?.inputs, {}),
    outputs: parseJson<Record<string, unknown> | null>(run.payload?.outputs, null),
    steps: run.steps.map((s) => ({
      id: s.stepId, kind: s.kind, status: s.status, attempts: s.attempts,
      error: parseJson<{ code: string; message: string } | null>(s.error, null),
      started_at: iso(s.startedAt), finished_at: iso(s.finishedAt),
    })),
    callback: run.callbackUrl
      ? {
          url: run.callbackUrl,
          deliveries: run.callbacks.map((c) => ({
            attempt: c.attempt, state: c.state as "pending" | "delivered" | "failed", status_code: c.statusCode, error: c.error,
            created_at: c.createdAt.toISOString(), next_attempt_at: c.state === "pending" ? iso(c.nextAttemptAt) : null,
          })),
        }
      : null,
  };
  if (withStepOutputs) {
    doc.step_outputs = Object.fromEntries(
      run.steps.filter((s) => s.status === "succeeded").map((s) => [s.stepId, parseJson((s as { output?: string | null }).output, null)]),
    );
  }
  return doc;
}

/** A run of the actor's workspace as the API documents it; NotFound for foreign or unknown ids. */
export async function getRunDocument(actor: Actor, uuid: string, opts: { stepOutputs?: boolean } = {}): Promise<RunDoc> {
  const doc = await loadDocument({ workspaceId: actor.workspaceId, uuid }, opts.stepOutputs ?? false);
  if (!doc) throw new NotFoundError("Run");
  return doc;
}

/**
 * A run of the actor's workspace by its integer id (the number the compatibility APIs
 * that want integer ids use); NotFound for foreign or unknown ids.
 */
export async function getRunDocumentByNumber(actor: Actor, id: number, opts: { stepOutputs?: boolean } = {}): Promise<RunDoc> {
  const doc = Number.isSafeInteger(id) ? await loadDocument({ workspaceId: actor.workspaceId, id }, opts.stepOutputs ?? false) : null;
  if (!doc) throw new NotFoundError("Run");
  return doc;
}

/** Internal (callbacks): a run by integer id, no tenancy check. */
export function getRunDocumentById(runId: number, opts: { stepOutputs?: boolean } = {}): Promise<RunDoc | null> {
  return loadDocument({ id: runId }, opts.stepOutputs ?? false);
}

/** The document read through Prisma even where a direct reader exists: the readers must agree (tested). */
export function getRunDocumentViaPrisma(runId: number, opts: { stepOutputs?: boolean } = {}): Promise<RunDoc | null> {
  return loadDocument({ id: runId }, opts.stepOutputs ?? false, true);
}
