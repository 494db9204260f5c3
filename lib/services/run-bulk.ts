/**
 * Bulk actions of the runs history: cancel or re-run up to MAX_BULK_RUNS runs of the actor's
 * workspace at once. Each run is looked up in that workspace only (another workspace's id
 * counts as not found), handled on its own, and the outcome is summed up in one sentence.
 */
import { db } from "../db/client";
import { isFinalStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { DomainError, ForbiddenError, ValidationError } from "./errors";
import { can } from "./permissions";
import { cancelRun, rerunRun } from "./runs";

export const MAX_BULK_RUNS = 100;

export interface BulkCancelResult {
  /** Runs asked to stop (queued ones end at once, running ones as their steps abort). */
  cancelled: string[];
  /** Runs that had already ended, left as they were. */
  finished: string[];
  notFound: string[];
  message: string;
}

export interface BulkRerunResult {
  /** The new runs, each with the run it repeats. */
  started: { from: string; run: string }[];
  failed: { run: string; message: string }[];
  notFound: string[];
  message: string;
}

function checkBulk(actor: Actor, uuids: string[], verb: string): string[] {
  if (!can(actor.role, "run")) throw new ForbiddenError(`Viewers cannot ${verb} runs; ask an admin for the member role`);
  const unique = [...new Set(uuids.map((u) => u.toLowerCase()))];
  if (unique.length === 0) throw new ValidationError([{ loc: ["runIds"], msg: "Select at least one run", type: "too_small" }]);
  if (unique.length > MAX_BULK_RUNS) {
    throw new ValidationError([{ loc: ["runIds"], msg: `At most ${MAX_BULK_RUNS} runs at a time`, type: "too_big" }]);
  }
  return unique;
}

/** The runs among `uuids` that belong to the actor's workspace, oldest first. */
async function findOwnRuns(actor: Actor, uuids: string[]) {
  return db.run.findMany({
    where: { workspaceId: actor.workspaceId, uuid: { in: uuids } },
    orderBy: { id: "asc" },
    select: { uuid: true, status: true },
  });
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Cancels the queued and running runs among `uuids`; finished ones are reported, not touched. */
export async function cancelRuns(actor: Actor, uuids: string[]): Promise<BulkCancelResult> {
  const wanted = checkBulk(actor, uuids, "cancel");
  const runs = await findOwnRuns(actor, wanted);
  const cancelled: string[] = [];
  const finished: string[] = [];
  for (const run of runs) {
    if (isFinalStatus(run.status)) {
      finished.push(run.uuid);
      continue;
    }
    // The run may end between the read above and here: cancelRun then reports it unchanged.
    const outcome = await cancelRun(actor, run.uuid);
    (outcome.changed ? cancelled : finished).push(run.uuid);
  }
  const found = new Set(runs.map((r) => r.uuid));
  const notFound = wanted.filter((u) => !found.has(u));
  const parts = [
    ...(finished.length ? [`${finished.length} already finished`] : []),
    ...(notFound.length ? [`${notFound.length} not found`] : []),
  ];
  const message = cancelled.length
    ? [`${cancelled.length} cancelled`, ...parts].join(", ")
    : `Nothing to cancel: ${parts.join(", ")}`;
  return { cancelled, finished, notFound, message };
}

/** Re-runs each of `uuids` with the same inputs on the same version, oldest first. */
export async function rerunRuns(actor: Actor, uuids: string[]): Promise<BulkRerunResult> {
  const wanted = checkBulk(actor, uuids, "re-run");
  const runs = await findOwnRuns(actor, wanted);
  const started: BulkRerunResult["started"] = [];
  const failed: BulkRerunResult["failed"] = [];
  for (const run of runs) {
    try {
      const { run: next } = await rerunRun(actor, run.uuid, {});
      started.push({ from: run.uuid, run: next.uuid });
    } catch (error) {
      // One run that cannot start again (its workflow archived, its inputs no longer valid)
      // does not stop the others; anything unexpected does.
      if (!(error instanceof DomainError)) throw error;
      failed.push({ run: run.uuid, message: error.message });
    }
  }
  const found = new Set(runs.map((r) => r.uuid));
  const notFound = wanted.filter((u) => !found.has(u));
  const parts = [
    ...(started.length ? [`${plural(started.length, "re-run", "re-runs")} started`] : ["No re-run started"]),
    ...(failed.length ? [`${failed.length} could not start (${failed[0].message}${failed.length > 1 ? ", …" : ""})`] : []),
    ...(notFound.length ? [`${notFound.length} not found`] : []),
  ];
  return { started, failed, notFound, message: parts.join(", ") };
}
