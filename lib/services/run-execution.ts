/**
 * What an executor needs from storage: claiming a run (with a lease), loading what the
 * engine needs to run or resume it, renewing leases, handing runs back, and ending runs
 * that never started or cannot be resumed.
 *
 * The run row is the truth about who executes a run: `status` running + `leaseOwner` +
 * `leaseExpiresAt`. Every change of owner is a compare-and-set on that row, so of several
 * executors (threads of one process, worker processes) exactly one holds a run at a time.
 */
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { hasDirectPg, pgDirectQuery, pgTimestamp } from "../db/pg-direct";
import type { WorkflowDefinition } from "../engine";
import { notifyRunEvents } from "../events/run-event-bus";
import { expectCallback, onRunEnded } from "./callbacks";
import { RunEventWriter } from "./run-event-writer";

function envNumber(name: string, fallback: number, min: number): number {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n >= min ? n : fallback;
}


/** How long a lease lasts without a heartbeat (FLOWDECK_LEASE_MS; tests use short ones). */
export const LEASE_MS = envNumber("FLOWDECK_LEASE_MS", 30_000, 200);
/**
 * How many times a run may be taken over from an executor that stopped responding before
 * it is given up as `failed` / `interrupted` (FLOWDECK_MAX_TAKEOVERS). A run that kills
 * every process that runs it must not go round forever.
 */
export const MAX_TAKEOVERS = envNumber("FLOWDECK_MAX_TAKEOVERS", 3, 0);

/** The error code of a run that could not be resumed after its executor stopped. */
export const INTERRUPTED = "interrupted";

export interface ClaimedRun {
  id: number;
  uuid: string;
  workspaceId: number;
  lastSeq: number;
  startedAt: Date | null;
  cancelRequested: boolean;
  definition: WorkflowDefinition;
  inputs: Record<string, unknown>;
  /** Outputs of steps that already succeeded (a resumed run does not run them again). */
  completed: Record<string, { output: unknown }>;
  /** How many times the run was taken over from a stopped executor (0 for a fresh run). */
  takeovers?: number;
  /** The run has a callback URL (to be sent when it ends). */
  hasCallback?: boolean;
}

const claimSelect = {
  id: true, uuid: true, versionId: true, workspaceId: true, lastSeq: true, startedAt: true, cancelRequestedAt: true, callbackUrl: true,
  totalSteps: true, totalTokens: true,
  version: { select: { definition: true } },
  payload: { select: { inputs: true } },
  steps: { where: { status: "succeeded" }, select: { stepId: true, output: true } },
} as const;

type ClaimRow = {
  id: number; uuid: string; versionId: number; workspaceId: number; lastSeq: number; startedAt: Date | null;
  cancelRequestedAt: Date | null; callbackUrl: string | null; totalSteps: number; totalTokens: number;
  version: { definition: string }; payload: { inputs: string } | null; steps: { stepId: string; output: string | null }[];
};

const CLAIM_QUEUED_PG = `WITH c AS (
    UPDATE "Run" SET "status" = 'running', "leaseOwner" = $2, "leaseExpiresAt" = $3
     WHERE "id" = $1 AND "status" = 'queued'
    RETURNING "id", "uuid", "versionId", "workspaceId", "lastSeq", "startedAt", "cancelRequestedAt", "callbackUrl", "totalSteps", "totalTokens")
  SELECT c.*, v."definition", p."inputs", p."runId" IS NOT NULL AS "hasPayload"
    FROM c JOIN "WorkflowVersion" v ON v."id" = c."versionId" LEFT JOIN "RunPayload" p ON p."runId" = c."id"`;

/** Claims a queued run and reads what executing it needs, in one statement (PostgreSQL). */
async function claimQueuedPg(runId: number, lease: { leaseOwner: string; leaseExpiresAt: Date }): Promise<ClaimRow | null> {
  const [row] = await pgDirectQuery<Omit<ClaimRow, "version" | "payload" | "steps"> & { definition: string; inputs: string | null; hasPayload: boolean }>(
    CLAIM_QUEUED_PG, [runId, lease.leaseOwner, pgTimestamp(lease.leaseExpiresAt)],
  );
  if (!row) return null;
  const { definition, inputs, hasPayload, ...run } = row;
  // A run that ran before (handed back) has finished steps to resume from.
  const steps = run.lastSeq > 0
    ? await db.stepRun.findMany({ where: { runId, status: "succeeded" }, select: { stepId: true, output: true } })
    : [];
  return { ...run, version: { definition }, payload: hasPayload ? { inputs: inputs! } : null, steps };
}

/**
 * Versions are immutable, so a definition is parsed once per version and the same object is
 * handed to every run of it (the engine keeps its plans and parsed configs per object).
 */
const definitions = new Map<number, WorkflowDefinition>();
function parsedDefinition(versionId: number, text: string): WorkflowDefinition {
  let definition = definitions.get(versionId);
  if (!definition) {
    definition = JSON.parse(text) as WorkflowDefinition;
    if (definitions.size >= 500) definitions.delete(definitions.keys().next().value!);
    definitions.set(versionId, definition);
  }
  return definition;
}

/**
 * Takes a run for `owner` if it is queued, or running under an expired lease (its
 * executor died; `takeOverRunning` takes it whatever its lease, for the embedded mode's
 * start-up where no other executor can exist). Compare-and-set: of several executors,
 * exactly one wins. A takeover beyond MAX_TAKEOVERS, or a run whose definition can no
 * longer be read, ends `failed` / `interrupted` here and null is returned.
 */
export async function claimRun(runId: number, owner: string, opts: { takeOverRunning?: boolean } = {}): Promise<ClaimedRun | null> {
  const now = new Date();
  const lease = { leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + LEASE_MS) };
  let takeover = false;
  // PostgreSQL's hot path: a queued run is claimed and read in one statement.
  let run: ClaimRow | null = hasDirectPg() ? await claimQueuedPg(runId, lease) : null;
  if (!run) {
    let { count } = await db.run.updateMany({ where: { id: runId, status: "queued" }, data: { status: "running", ...lease } });
    if (count === 0) {
      const expired = opts.takeOverRunning ? {} : { OR: [{ leaseExpiresAt: { lt: now } }, { leaseExpiresAt: null }] };
      ({ count } = await db.run.updateMany({ where: { id: runId, status: "running", ...expired }, data: lease }));
      if (count === 0) return null;
      takeover = true;
    }
    run = await db.run.findUnique({ where: { id: runId }, select: claimSelect });
    if (!run) return null;
  }

  // Earlier takeovers are recorded on the run_started event of each execution.
  const takeovers = (run.lastSeq > 0 ? await previousTakeovers(runId) : 0) + (takeover ? 1 : 0);
  const base = { id: run.id, workspaceId: run.workspaceId, lastSeq: run.lastSeq, startedAt: run.startedAt, totalSteps: run.totalSteps, totalTokens: run.totalTokens };
  const giveUp = async (message: string) => {
    if (await failInterruptedRun(base, owner, message)) {
      if (run.callbackUrl) expectCallback(run.id);
      void onRunEnded(run.id);
    }
    return null;
  };
  if (takeover && takeovers > MAX_TAKEOVERS) {
    return giveUp(`The run was interrupted ${takeovers} times (its executor stopped each time), so it is not resumed again`);
  }
  let definition: WorkflowDefinition;
  let inputs: Record<string, unknown>;
  try {
    definition = parsedDefinition(run.versionId, run.version.definition);
    inputs = run.payload ? JSON.parse(run.payload.inputs) : {};
  } catch {
    return giveUp("The run cannot be resumed: its workflow definition or inputs can no longer be read");
  }
  return {
    id: run.id, uuid: run.uuid, workspaceId: run.workspaceId, lastSeq: run.lastSeq, startedAt: run.startedAt,
    cancelRequested: run.cancelRequestedAt != null,
    definition, inputs,
    completed: Object.fromEntries(run.steps.map((s) => [s.stepId, { output: s.output == null ? null : JSON.parse(s.output) }])),
    takeovers,
    hasCallback: run.callbackUrl != null,
  };
}

/** The takeover count of the run's latest execution (from its run_started event). */
async function previousTakeovers(runId: number): Promise<number> {
  const last = await db.runEvent.findFirst({
    where: { runId, type: "run_started" }, orderBy: { seq: "desc" }, select: { data: true },
  });
  if (!last) return 0;
  try {
    const n = Number((JSON.parse(last.data) as { takeover?: unknown }).takeover ?? 0);
    return Number.isInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * Ends a run this owner holds as `failed` with error code `interrupted`: steps that had
 * started and not finished get a step_finished (cancelled), then run_finished.
 */
export async function failInterruptedRun(
  run: { id: number; workspaceId: number; lastSeq: number; startedAt: Date | null; totalSteps: number; totalTokens: number },
  owner: string,
  message: string,
): Promise<boolean> {
  const [started, finished] = await Promise.all([
    db.runEvent.findMany({ where: { runId: run.id, type: "step_started" }, select: { data: true } }),
    db.stepRun.findMany({ where: { runId: run.id }, select: { stepId: true } }),
  ]);
  const done = new Set(finished.map((s) => s.stepId));
  const dangling = new Map<string, string>();
  for (const e of started) {
    const { step_id, kind } = JSON.parse(e.data) as { step_id?: string; kind?: string };
    if (step_id && !done.has(step_id)) dangling.set(step_id, kind ?? "unknown");
  }
  const writer = new RunEventWriter(run.id, run.workspaceId, run.lastSeq, owner);
  const error = { code: INTERRUPTED, message };
  const finishedAt = new Date();
  for (const [stepId, kind] of dangling) {
    writer.append("step_finished", { step_id: stepId, kind, status: "cancelled", error, duration_ms: 0, attempts: 0 }, {
      step: { stepId, kind, status: "cancelled", attempts: 0, error, finishedAt },
    });
  }
  const startedAt = run.startedAt ?? finishedAt;
  const elapsedMs = finishedAt.getTime() - startedAt.getTime();
  writer.append("run_finished", {
    status: "failed", error, duration_ms: elapsedMs, total_steps: run.totalSteps, total_tokens: run.totalTokens,
  }, {
    run: {
      status: "failed", finishedAt, elapsedMs, errorCode: INTERRUPTED, errorMessage: message, errorStep: null,
      leaseOwner: null, leaseExpiresAt: null, ...(run.startedAt ? {} : { startedAt }),
    },
  });
  try {
    await writer.flushNow();
    return true;
  } catch (e) {
    console.error(`[executor] could not end run ${run.id} as interrupted:`, e);
    return false;
  }
}

/**
 * One heartbeat for all the runs an executor holds: extends their leases, and says which
 * of them it no longer holds (taken over after a stall) and which were asked to cancel.
 */
export async function renewLeases(owner: string, runIds: number[]): Promise<{ lost: number[]; cancelled: number[] }> {
  if (runIds.length === 0) return { lost: [], cancelled: [] };
  const until = new Date(Date.now() + LEASE_MS);
  if (databaseProvider() === "postgresql") {
    // Rows locked in id order: two heartbeats that share a row (a takeover racing a stalled
    // executor) must not deadlock on a multi-row UPDATE's physical scan order.
    await db.$executeRawUnsafe(
      `UPDATE "Run" SET "leaseExpiresAt" = $1::timestamp WHERE "id" IN (
         SELECT "id" FROM "Run" WHERE "id" = ANY($2::int[]) AND "leaseOwner" = $3 AND "status" = 'running' ORDER BY "id" FOR UPDATE)`,
      pgTimestamp(until), runIds, owner,
    );
  } else {
    await db.run.updateMany({ where: { id: { in: runIds }, leaseOwner: owner, status: "running" }, data: { leaseExpiresAt: until } });
  }
  const rows = await db.run.findMany({
    where: { id: { in: runIds } }, select: { id: true, leaseOwner: true, status: true, cancelRequestedAt: true },
  });
  const held = new Set(rows.filter((r) => r.leaseOwner === owner && r.status === "running").map((r) => r.id));
  return {
    lost: runIds.filter((id) => !held.has(id)),
    cancelled: rows.filter((r) => r.cancelRequestedAt != null).map((r) => r.id),
  };
}

/**
 * Hands a run back (graceful shutdown): running under `owner` → queued with no lease, so
 * another executor resumes it from its finished steps at once.
 */
export async function releaseRun(runId: number, owner: string): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: { id: runId, leaseOwner: owner, status: "running" },
    data: { status: "queued", leaseOwner: null, leaseExpiresAt: null },
  });
  return count === 1;
}

/** Lets the lease lapse now (after an unexpected error), so the run is taken over soon. */
export async function expireLease(runId: number, owner: string): Promise<void> {
  await db.run.updateMany({
    where: { id: runId, leaseOwner: owner, status: "running" },
    data: { leaseExpiresAt: new Date() },
  });
}

/** Ends a run that is still queued as cancelled (with its run_finished event). */
export async function cancelQueuedRun(runId: number): Promise<boolean> {
  const seq = await db.$transaction(async (tx) => {
    const run = await tx.run.findFirst({ where: { id: runId, status: "queued" }, select: { lastSeq: true, workspaceId: true, totalSteps: true } });
    if (!run) return null;
    const next = run.lastSeq + 1;
    const { count } = await tx.run.updateMany({
      where: { id: runId, status: "queued", lastSeq: run.lastSeq },
      data: { status: "cancelled", lastSeq: next, finishedAt: new Date(), errorCode: "cancelled", errorMessage: "Cancelled before it started" },
    });
    if (count === 0) return null;
    await tx.runEvent.create({
      data: {
        runId, seq: next, workspaceId: run.workspaceId, type: "run_finished",
        data: JSON.stringify({
          status: "cancelled", error: { code: "cancelled", message: "Cancelled before it started" },
          duration_ms: 0, total_steps: run.totalSteps, total_tokens: 0,
        }),
      },
    });
    return next;
  });
  if (seq) notifyRunEvents(runId, seq, true);
  return seq != null;
}

/** Runs an executor should pick up: queued ones, and running ones whose lease expired. */
export async function findRunsToRecover(opts: { includeAllRunning: boolean }, limit = 500): Promise<number[]> {
  const rows = await db.run.findMany({
    where: {
      OR: [
        { status: "queued" },
        opts.includeAllRunning ? { status: "running" } : { status: "running", leaseExpiresAt: { lt: new Date() } },
      ],
    },
    orderBy: { id: "asc" },
    take: limit,
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Of these runs, the ones asked to cancel. */
export async function findCancelRequested(runIds: number[]): Promise<number[]> {
  if (runIds.length === 0) return [];
  const rows = await db.run.findMany({ where: { id: { in: runIds }, cancelRequestedAt: { not: null } }, select: { id: true } });
  return rows.map((r) => r.id);
}

export async function isCancelRequested(runId: number): Promise<boolean> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { cancelRequestedAt: true } });
  return run?.cancelRequestedAt != null;
}

// ── The job queue (worker mode, PostgreSQL): graphile-worker through its SQL API ──────────
// A job is only a hint that a run wants executing; the run row decides who executes it.

/** The graphile-worker task that executes one run; its payload is `{ runId }`. */
export const RUN_JOB_TASK = "flowdeck_run";

export const RUN_JOB_KEY_PREFIX = "run:";

/** One job per run at a time (graphile-worker's job key). */
export function runJobKey(runId: number): string {
  return `${RUN_JOB_KEY_PREFIX}${runId}`;
}

/**
 * Adds the job that executes a run (or makes the waiting one due now). Called after the
 * run is stored `queued`; if this is lost (a crash in between), the reaper adds it.
 */
export async function addRunJob(runId: number): Promise<void> {
  await db.$executeRawUnsafe(
    "SELECT graphile_worker.add_job($1, json_build_object('runId', $2::int), job_key => $3, max_attempts => 25)",
    RUN_JOB_TASK, runId, runJobKey(runId),
  );
}


/**
 * The reaper's pass (worker mode): finds runs that want an executor but have no live job —
 * running under an expired lease (their worker died or stalled), or queued for longer than
 * a lease without a job (the enqueue was lost) — and makes each runnable again: a job
 * still locked by the dead worker is unlocked, a missing (or spent) job is added. The
 * executor that takes the job claims the run and resumes it (claimRun).
 * Serialised across processes by an advisory lock; returns the runs it acted on.
 */
export async function requeueStalledRuns(limit = 500): Promise<number[]> {
  const now = new Date();
  return db.$transaction(async (tx) => {
    const [{ locked }] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(
      "SELECT pg_try_advisory_xact_lock(hashtext('flowdeck run reaper')) AS locked",
    );
    if (!locked) return [];
    const rows = await tx.$queryRawUnsafe<{ id: number; locked_by: string | null; needs_job: boolean }[]>(
      `SELECT r."id", j.locked_by,
              (j.id IS NULL OR j.attempts >= j.max_attempts) AS needs_job
         FROM "Run" r
         LEFT JOIN graphile_worker.jobs j ON j.key = 'run:' || r."id"::text
        WHERE ((r."status" = 'running' AND r."leaseExpiresAt" < $1::timestamp)
            OR (r."status" = 'queued' AND r."createdAt" < $2::timestamp))
          AND (j.id IS NULL OR j.attempts >= j.max_attempts
            OR (j.locked_at IS NOT NULL AND (r."status" = 'running' OR j.locked_at < now() - make_interval(secs => $3))))
        ORDER BY r."id"
        LIMIT $4`,
      pgTimestamp(now), pgTimestamp(new Date(now.getTime() - LEASE_MS)), LEASE_MS / 1000, limit,
    );
    const deadWorkers = [...new Set(rows.filter((r) => !r.needs_job && r.locked_by).map((r) => r.locked_by!))];
    if (deadWorkers.length) await tx.$executeRawUnsafe("SELECT graphile_worker.force_unlock_workers($1::text[])", deadWorkers);
    for (const r of rows) {
      if (!r.needs_job) continue;
      await tx.$executeRawUnsafe(
        "SELECT graphile_worker.add_job($1, json_build_object('runId', $2::int), job_key => $3, max_attempts => 25)",
        RUN_JOB_TASK, Number(r.id), runJobKey(Number(r.id)),
      );
    }
    return rows.map((r) => Number(r.id));
  }, { maxWait: 10_000, timeout: 30_000 }); // a busy pool must not fail the pass
}
