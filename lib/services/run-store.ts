/**
 * The two writes every run makes on the hot path: inserting the run (with its inputs), and
 * storing batches of its event log (the events, the step rows they finish, the run's
 * changed fields and its outputs) — each in one transaction. On SQLite they go through
 * prepared statements on Prisma's own connection (lib/db/sqlite-direct); on PostgreSQL each
 * is one statement on Prisma's own pool (lib/db/pg-direct); Prisma itself is the fallback
 * until its connection is open. All paths write the same rows.
 */
import { randomUUID } from "node:crypto";
import { db } from "../db/client";
import { hasDirectPg, pgDirectQuery, pgTimestamp } from "../db/pg-direct";
import { directWrite, hasDirectSqlite, sqliteDateTime } from "../db/sqlite-direct";
import { NoRowChangedError, type RowRef, type WriteParam, type WriteStatement } from "../db/sqlite-writer";

/** A new run's row. */
export interface NewRun {
  workspaceId: number;
  workflowId: number;
  versionId: number;
  versionNumber: number;
  label: string | null;
  status: string;
  origin: string;
  externalId: string | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
  metadata: string;
  totalSteps: number;
  createdById: string | null;
  apiKeyId: number | null;
  parentRunId: number | null;
  rerunFromStep?: string | null;
  callbackUrl?: string | null;
  leaseOwner?: string | null;
  leaseExpiresAt?: Date | null;
  /** JSON text of the validated inputs (stored apart, in RunPayload). */
  inputs: string;
}

/** A unique key (external id or idempotency key) is already taken in the workspace. */
export class DuplicateRunKeyError extends Error {
  constructor(readonly key: "externalId" | "idempotencyKey") {
    super(`A run with this ${key} already exists`);
    this.name = "DuplicateRunKeyError";
  }
}

const RUN_INSERT_COLUMNS = [
  "uuid", "workspaceId", "workflowId", "versionId", "versionNumber", "label", "status", "origin", "externalId",
  "idempotencyKey", "requestHash", "metadata", "totalSteps", "createdById", "apiKeyId", "parentRunId",
  "rerunFromStep", "callbackUrl", "leaseOwner", "leaseExpiresAt", "createdAt",
] as const;
const INSERT_RUN = `INSERT INTO "Run" (${RUN_INSERT_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${RUN_INSERT_COLUMNS.map(() => "?").join(", ")}) RETURNING "id"`;
const INSERT_PAYLOAD = 'INSERT INTO "RunPayload" ("runId", "workspaceId", "inputs") VALUES (?, ?, ?)';

/**
 * Stores a new run and its inputs atomically; returns its ids. With `jobTask` on PostgreSQL
 * the run's graphile-worker job is added in the same statement (`jobAdded`), so a queued run
 * never lacks its job and costs one round trip less.
 */
export async function insertRun(run: NewRun, opts: { jobTask?: { task: string; keyPrefix: string } } = {}): Promise<{ id: number; uuid: string; jobAdded?: boolean }> {
  const uuid = randomUUID();
  const { inputs, ...row } = run;
  const createdAt = new Date();
  try {
    if (hasDirectSqlite()) {
      const values: Record<(typeof RUN_INSERT_COLUMNS)[number], WriteParam> = {
        uuid, ...row, idempotencyKey: row.idempotencyKey ?? null, requestHash: row.requestHash ?? null,
        rerunFromStep: row.rerunFromStep ?? null, callbackUrl: row.callbackUrl ?? null, leaseOwner: row.leaseOwner ?? null,
        leaseExpiresAt: row.leaseExpiresAt ? sqliteDateTime(row.leaseExpiresAt) : null, createdAt: sqliteDateTime(createdAt),
      };
      const newId: RowRef = { fromStatement: 0, column: "id" };
      const id = await directWrite<number>({
        statements: [
          { sql: INSERT_RUN, params: RUN_INSERT_COLUMNS.map((c) => values[c]) },
          { sql: INSERT_PAYLOAD, params: [newId, row.workspaceId, inputs] },
        ],
        result: newId,
      });
      return { id, uuid };
    }
    if (hasDirectPg()) return { id: await insertRunPg(uuid, row, inputs, createdAt, opts.jobTask), uuid, jobAdded: opts.jobTask != null };
    const created = await db.run.create({
      data: { uuid, ...row, createdAt, payload: { create: { workspaceId: row.workspaceId, inputs } } },
      select: { id: true },
    });
    return { id: created.id, uuid };
  } catch (error) {
    throw duplicateKey(error) ?? error;
  }
}

/** The run row and its payload in one PostgreSQL statement (one implicit transaction). */
async function insertRunPg(
  uuid: string, row: Omit<NewRun, "inputs">, inputs: string, createdAt: Date, job?: { task: string; keyPrefix: string },
): Promise<number> {
  const values: Record<(typeof RUN_INSERT_COLUMNS)[number], unknown> = {
    uuid, ...row, idempotencyKey: row.idempotencyKey ?? null, requestHash: row.requestHash ?? null,
    rerunFromStep: row.rerunFromStep ?? null, callbackUrl: row.callbackUrl ?? null, leaseOwner: row.leaseOwner ?? null,
    leaseExpiresAt: row.leaseExpiresAt ? pgTimestamp(row.leaseExpiresAt) : null, createdAt: pgTimestamp(createdAt),
  };
  const params = [...RUN_INSERT_COLUMNS.map((c) => values[c]), inputs];
  const [inserted] = job
    ? await pgDirectQuery<{ id: number }>(INSERT_RUN_WITH_JOB_PG, [...params, job.task, job.keyPrefix])
    : await pgDirectQuery<{ id: number }>(INSERT_RUN_PG, params);
  return inserted.id;
}

const INSERT_RUN_CTE = `WITH r AS (
    INSERT INTO "Run" (${RUN_INSERT_COLUMNS.map((c) => `"${c}"`).join(", ")})
    VALUES (${RUN_INSERT_COLUMNS.map((c, i) => `$${i + 1}${c === "leaseExpiresAt" || c === "createdAt" ? "::timestamp(3)" : ""}`).join(", ")}) RETURNING "id", "workspaceId")`;
const INSERT_PAYLOAD_PG = `INSERT INTO "RunPayload" ("runId", "workspaceId", "inputs") SELECT "id", "workspaceId", $${RUN_INSERT_COLUMNS.length + 1} FROM r RETURNING "runId" AS "id"`;
const INSERT_RUN_PG = `${INSERT_RUN_CTE}
  ${INSERT_PAYLOAD_PG}`;
// The same, plus the run's job (job key: the given prefix + the new id; see runJobKey).
const INSERT_RUN_WITH_JOB_PG = `${INSERT_RUN_CTE}, p AS (${INSERT_PAYLOAD_PG})
  SELECT p."id", (graphile_worker.add_job($${RUN_INSERT_COLUMNS.length + 2}::text, json_build_object('runId', p."id"),
    job_key => $${RUN_INSERT_COLUMNS.length + 3}::text || p."id"::text, max_attempts => 25)).id AS "jobId" FROM p`;

/** Recognises a unique-key violation on externalId / idempotencyKey, from either driver. */
function duplicateKey(error: unknown): DuplicateRunKeyError | null {
  const e = error as { code?: string; message?: string; meta?: { target?: unknown; driverAdapterError?: unknown } };
  const text = `${e?.message ?? ""} ${JSON.stringify(e?.meta ?? {})}`;
  const unique = e?.code === "P2002" || e?.code === "SQLITE_CONSTRAINT_UNIQUE" || /UNIQUE constraint failed|unique constraint/i.test(text);
  if (!unique) return null;
  if (/idempotencyKey/.test(text)) return new DuplicateRunKeyError("idempotencyKey");
  if (/externalId/.test(text)) return new DuplicateRunKeyError("externalId");
  return null;
}

/** One stored event. `data` is JSON text. */
export interface EventRow {
  seq: number;
  type: string;
  data: string;
  createdAt: Date;
}

/** A finished step's row. `output` / `error` are JSON text. */
export interface StepRow {
  stepId: string;
  kind: string;
  status: string;
  attempts: number;
  output: string | null;
  error: string | null;
  tokens: number;
  startedAt?: Date;
  finishedAt?: Date;
}

/** The run fields an event batch may change. */
export interface RunPatch {
  status?: string;
  startedAt?: Date;
  finishedAt?: Date;
  elapsedMs?: number;
  totalTokens?: number;
  errorCode?: string | null;
  errorMessage?: string | null;
  errorStep?: string | null;
  leaseOwner?: string | null;
  leaseExpiresAt?: Date | null;
}

/** Columns RunPatch may set, in a fixed order (the SQL text is cached per key set). */
const RUN_COLUMNS = [
  "status", "startedAt", "finishedAt", "elapsedMs", "totalTokens",
  "errorCode", "errorMessage", "errorStep", "leaseOwner", "leaseExpiresAt",
] as const satisfies readonly (keyof RunPatch)[];

export interface RunLogBatch {
  runId: number;
  workspaceId: number;
  events: EventRow[];
  steps: StepRow[];
  run: RunPatch;
  /** JSON text of the run's final outputs. */
  outputs?: string;
  /**
   * Fencing: when set, the batch is written only while the run's lease is still this
   * owner's; otherwise nothing is written and LeaseLostError is thrown.
   */
  leaseOwner?: string;
}

/** The run's lease belongs to someone else now: the writer must stop (nothing was written). */
export class LeaseLostError extends Error {
  constructor(readonly runId: number) {
    super(`Run ${runId} is no longer leased to this executor`);
    this.name = "LeaseLostError";
  }
}

/** Writes a batch atomically. */
export async function writeRunLogBatch(batch: RunLogBatch): Promise<void> {
  if (hasDirectSqlite()) return writeDirect(batch);
  if (hasDirectPg()) return writePgStatement(batch);
  return writeWithPrisma(batch);
}

const INSERT_EVENT = 'INSERT INTO "RunEvent" ("runId", "seq", "workspaceId", "type", "data", "createdAt") VALUES (?, ?, ?, ?, ?, ?)';
const INSERT_STEP =
  'INSERT INTO "StepRun" ("runId", "workspaceId", "stepId", "kind", "status", "attempts", "output", "error", "tokens", "startedAt", "finishedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const UPDATE_OUTPUTS = 'UPDATE "RunPayload" SET "outputs" = ? WHERE "runId" = ?';

async function writeDirect(batch: RunLogBatch): Promise<void> {
  const { runId, workspaceId } = batch;
  const date = (d: Date | null | undefined) => (d ? sqliteDateTime(d) : null);
  const statements: WriteStatement[] = [];
  for (const e of batch.events) statements.push({ sql: INSERT_EVENT, params: [runId, e.seq, workspaceId, e.type, e.data, sqliteDateTime(e.createdAt)] });
  for (const r of batch.steps) {
    statements.push({
      sql: INSERT_STEP,
      params: [runId, workspaceId, r.stepId, r.kind, r.status, r.attempts, r.output, r.error, r.tokens, date(r.startedAt), date(r.finishedAt)],
    });
  }
  const columns: string[] = [];
  const values: WriteParam[] = [];
  for (const c of RUN_COLUMNS) {
    const v = batch.run[c];
    if (v === undefined) continue;
    columns.push(c);
    values.push(v instanceof Date ? sqliteDateTime(v) : v);
  }
  const lastSeq = batch.events.at(-1)?.seq;
  if (lastSeq !== undefined) {
    columns.push("lastSeq");
    values.push(lastSeq);
  }
  if (batch.leaseOwner !== undefined) {
    // Always touch the row when fenced, so a batch of step rows alone is checked too. The
    // fence goes first: a lost lease writes nothing at all.
    if (columns.length === 0) columns.push("id"), values.push(runId);
    statements.unshift({
      sql: `UPDATE "Run" SET ${columns.map((c) => `"${c}" = ?`).join(", ")} WHERE "id" = ? AND "leaseOwner" = ?`,
      params: [...values, runId, batch.leaseOwner],
      mustChange: "lease",
    });
  } else if (columns.length > 0) {
    statements.push({ sql: `UPDATE "Run" SET ${columns.map((c) => `"${c}" = ?`).join(", ")} WHERE "id" = ?`, params: [...values, runId] });
  }
  if (batch.outputs !== undefined) statements.push({ sql: UPDATE_OUTPUTS, params: [batch.outputs, runId] });
  try {
    await directWrite({ statements });
  } catch (error) {
    throw error instanceof NoRowChangedError ? new LeaseLostError(runId) : error;
  }
}

/**
 * The whole batch as one PostgreSQL statement: the (fenced) run update first, and the
 * events, step rows and outputs written only if it matched a row — data-modifying CTEs run
 * in one implicit transaction, in one round trip. Rows arrive as arrays (unnest), so the
 * statement's text depends only on which run columns change: few texts, each prepared once.
 */
async function writePgStatement(batch: RunLogBatch): Promise<void> {
  const { runId, workspaceId } = batch;
  const values: unknown[] = [runId];
  const param = (v: unknown) => `$${values.push(v)}`;
  // Every parameter must appear in the text (PostgreSQL infers its type from there).
  let wsParam: string | undefined;
  const ws = () => (wsParam ??= param(workspaceId));
  const ts = (d: Date | null | undefined) => (d ? pgTimestamp(d) : null);

  const sets: string[] = [];
  for (const c of RUN_COLUMNS) {
    const v = batch.run[c];
    if (v === undefined) continue;
    sets.push(`"${c}" = ${param(v instanceof Date ? ts(v) : v)}`);
  }
  const lastSeq = batch.events.at(-1)?.seq;
  if (lastSeq !== undefined) sets.push(`"lastSeq" = ${param(lastSeq)}`);
  const fenced = batch.leaseOwner !== undefined;
  const fence = fenced ? ` AND "leaseOwner" = ${param(batch.leaseOwner)}` : "";
  // A fenced batch always touches the row (a batch of step rows alone is checked too).
  if (fenced && sets.length === 0) sets.push(`"id" = "id"`);
  const run = sets.length
    ? `UPDATE "Run" SET ${sets.join(", ")} WHERE "id" = $1${fence} RETURNING "id"`
    : `SELECT "id" FROM "Run" WHERE "id" = $1`;

  const e = batch.events;
  const eventArrays = [e.map((x) => x.seq), e.map((x) => x.type), e.map((x) => x.data), e.map((x) => ts(x.createdAt))];
  const st = batch.steps;
  const stepArrays = [
    st.map((r) => r.stepId), st.map((r) => r.kind), st.map((r) => r.status), st.map((r) => r.attempts), st.map((r) => r.output),
    st.map((r) => r.error), st.map((r) => r.tokens), st.map((r) => ts(r.startedAt)), st.map((r) => ts(r.finishedAt)),
  ];
  const parts = [`run AS (${run})`];
  if (e.length) {
    const [seqs, types, data, times] = eventArrays.map(param);
    parts.push(`ev AS (INSERT INTO "RunEvent" ("runId", "seq", "workspaceId", "type", "data", "createdAt")
      SELECT $1, x.seq, ${ws()}, x.type, x.data, x.at FROM unnest(${seqs}::int[], ${types}::text[], ${data}::text[], ${times}::timestamp(3)[]) AS x(seq, type, data, at)
      WHERE EXISTS (SELECT 1 FROM run))`);
  }
  if (st.length) {
    const p = stepArrays.map(param);
    parts.push(`st AS (INSERT INTO "StepRun" ("runId", "workspaceId", "stepId", "kind", "status", "attempts", "output", "error", "tokens", "startedAt", "finishedAt")
      SELECT $1, ${ws()}, x.* FROM unnest(${p[0]}::text[], ${p[1]}::text[], ${p[2]}::text[], ${p[3]}::int[], ${p[4]}::text[], ${p[5]}::text[], ${p[6]}::int[], ${p[7]}::timestamp(3)[], ${p[8]}::timestamp(3)[])
      AS x(step_id, kind, status, attempts, output, error, tokens, started_at, finished_at)
      WHERE EXISTS (SELECT 1 FROM run))`);
  }
  if (batch.outputs !== undefined) {
    parts.push(`out AS (UPDATE "RunPayload" SET "outputs" = ${param(batch.outputs)} WHERE "runId" = $1 AND EXISTS (SELECT 1 FROM run))`);
  }
  const rows = await pgDirectQuery<{ n: number }>(`WITH ${parts.join(",\n")}\nSELECT count(*)::int AS n FROM run`, values);
  if (rows[0]?.n === 0) {
    if (fenced) throw new LeaseLostError(runId);
    throw new Error(`Run ${runId} does not exist`);
  }
}

async function writeWithPrisma(batch: RunLogBatch): Promise<void> {
  const { runId, workspaceId } = batch;
  const lastSeq = batch.events.at(-1)?.seq;
  const fence = batch.leaseOwner !== undefined ? { leaseOwner: batch.leaseOwner } : {};
  try {
    await db.$transaction([
      // The fenced run update goes first: if the lease is gone, nothing else is attempted.
      db.run.update({ where: { id: runId, ...fence }, data: { ...batch.run, ...(lastSeq !== undefined ? { lastSeq } : {}) } }),
      ...(batch.events.length ? [db.runEvent.createMany({ data: batch.events.map((e) => ({ runId, workspaceId, ...e })) })] : []),
      ...(batch.steps.length ? [db.stepRun.createMany({ data: batch.steps.map((r) => ({ runId, workspaceId, ...r })) })] : []),
      ...(batch.outputs !== undefined ? [db.runPayload.update({ where: { runId }, data: { outputs: batch.outputs } })] : []),
    ]);
  } catch (error) {
    // P2025: no run row matched (with the fence: the lease belongs to someone else).
    if (batch.leaseOwner !== undefined && (error as { code?: string })?.code === "P2025") throw new LeaseLostError(runId);
    throw error;
  }
}
