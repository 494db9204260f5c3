/**
 * What an executor needs from storage: claiming a run (with a lease), loading what the
 * engine needs to run or resume it, renewing the lease, and ending runs that never started.
 */
import { db } from "../db/client";
import type { WorkflowDefinition } from "../engine";
import { notifyRunEvents } from "../events/run-event-bus";

export const LEASE_MS = 30_000;

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
}

/**
 * Takes a run for `owner` if it is queued, or running under an expired lease (its
 * executor died). Compare-and-set: of several executors, exactly one wins.
 */
export async function claimRun(runId: number, owner: string, opts: { takeOverRunning?: boolean } = {}): Promise<ClaimedRun | null> {
  const now = new Date();
  const claimable = opts.takeOverRunning
    ? [{ status: "queued" }, { status: "running" }]
    : [{ status: "queued" }, { status: "running", leaseExpiresAt: { lt: now } }];
  const { count } = await db.run.updateMany({
    where: { id: runId, OR: claimable },
    data: { status: "running", leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + LEASE_MS) },
  });
  if (count === 0) return null;
  const run = await db.run.findUnique({
    where: { id: runId },
    select: {
      id: true, uuid: true, workspaceId: true, lastSeq: true, startedAt: true, cancelRequestedAt: true,
      version: { select: { definition: true } },
      payload: { select: { inputs: true } },
      steps: { where: { status: "succeeded" }, select: { stepId: true, output: true } },
    },
  });
  if (!run) return null;
  return {
    id: run.id, uuid: run.uuid, workspaceId: run.workspaceId, lastSeq: run.lastSeq, startedAt: run.startedAt,
    cancelRequested: run.cancelRequestedAt != null,
    definition: JSON.parse(run.version.definition),
    inputs: run.payload ? JSON.parse(run.payload.inputs) : {},
    completed: Object.fromEntries(run.steps.map((s) => [s.stepId, { output: s.output == null ? null : JSON.parse(s.output) }])),
  };
}

export async function renewLease(runId: number, owner: string): Promise<boolean> {
  const { count } = await db.run.updateMany({
    where: { id: runId, leaseOwner: owner, status: "running" },
    data: { leaseExpiresAt: new Date(Date.now() + LEASE_MS) },
  });
  return count === 1;
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

export async function isCancelRequested(runId: number): Promise<boolean> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { cancelRequestedAt: true } });
  return run?.cancelRequestedAt != null;
}
