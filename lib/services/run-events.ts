/** Reading the append-only run event log (writing is the executor's, see run-execution.ts). */
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { directAll, hasDirectSqlite, sqliteDate } from "../db/sqlite-direct";
import type { RunEventFrame } from "../schemas/run";

type StoredEvent = { seq: number; type: string; data: string; createdAt: Date };

export function toFrame(e: StoredEvent): RunEventFrame {
  return { seq: e.seq, type: e.type, at: e.createdAt.toISOString(), data: JSON.parse(e.data) };
}

// A long log (a streamed answer has thousands of events) is read without Prisma's per-row
// work and without a Date per row: SQLite through the direct connection, PostgreSQL with
// the timestamp formatted by the database. The frames are the same as toFrame's.
const EVENTS_AFTER_SQLITE = 'SELECT "seq", "type", "data", "createdAt" AS "at" FROM "RunEvent" WHERE "runId" = ? AND "seq" > ? ORDER BY "seq" LIMIT ?';
// bigint: an id or seq past the int4 range matches nothing instead of failing.
const EVENTS_AFTER_PG =
  `SELECT "seq", "type", "data", to_char("createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "at" FROM "RunEvent" ` +
  'WHERE "runId" = $1::bigint AND "seq" > $2::bigint ORDER BY "seq" LIMIT $3';

/** A stored SQLite DATETIME as toISOString() gives it (Prisma writes "…T…:SS.mmm+00:00"). */
function isoOfStored(text: string): string {
  return text.length === 29 && text.endsWith("+00:00") && text[10] === "T" ? `${text.slice(0, 23)}Z` : sqliteDate(text)!.toISOString();
}

/** Events of a run with seq > afterSeq, in order (the caller has already checked access). */
export async function listRunEventsAfter(runId: number, afterSeq: number, limit = 1000): Promise<RunEventFrame[]> {
  if (hasDirectSqlite()) {
    return directAll(EVENTS_AFTER_SQLITE, runId, afterSeq, limit).map((r) => ({
      seq: r.seq as number, type: r.type as string, at: isoOfStored(String(r.at)), data: JSON.parse(r.data as string),
    }));
  }
  if (databaseProvider() === "postgresql") {
    const rows = await db.$queryRawUnsafe<{ seq: number; type: string; data: string; at: string }[]>(EVENTS_AFTER_PG, runId, afterSeq, limit);
    return rows.map((r) => ({ seq: Number(r.seq), type: r.type, at: r.at, data: JSON.parse(r.data) }));
  }
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
