/** Reading the append-only run event log (writing is the executor's, see run-execution.ts). */
import { db } from "../db/client";
import type { RunEventFrame } from "../schemas/run";

type StoredEvent = { seq: number; type: string; data: string; createdAt: Date };

export function toFrame(e: StoredEvent): RunEventFrame {
  return { seq: e.seq, type: e.type, at: e.createdAt.toISOString(), data: JSON.parse(e.data) };
}

/** Events of a run with seq > afterSeq, in order (the caller has already checked access). */
export async function listRunEventsAfter(runId: number, afterSeq: number, limit = 1000): Promise<RunEventFrame[]> {
  const rows = await db.runEvent.findMany({
    where: { runId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
    take: limit,
    select: { seq: true, type: true, data: true, createdAt: true },
  });
  return rows.map(toFrame);
}

/** The run's status and the seq of its last stored event. */
export async function getRunLogPosition(runId: number): Promise<{ status: string; lastSeq: number } | null> {
  return db.run.findUnique({ where: { id: runId }, select: { status: true, lastSeq: true } });
}
