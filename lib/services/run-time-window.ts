/**
 * The runs created in a closed time window [after, before), newest first *by creation time*,
 * from a keyset cursor (a run id), read from the (workspaceId, createdAt, id) index: a page
 * reads its own rows, however far back the window lies and however many runs it holds.
 *
 * Why creation time and not the id (the order of every other history view): in id order
 * both planners must read the whole window before the first row (a busy week: 39,000 index
 * entries, 6 ms on SQLite, 13 ms on PostgreSQL, per page and per "is there more" probe),
 * while in (createdAt, id) order the index is already sorted. The two orders differ only for
 * runs stored within the same millisecond or so by different processes.
 *
 * A cursor is a run id; its place in the order is its (createdAt, id). An id that is not a
 * run of this workspace has no place, and nothing lies past it.
 */
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { directAll, hasDirectSqlite, sqliteDateTime } from "../db/sqlite-direct";
import type { ScanDirection } from "./run-text-index";

export interface TimeWindow {
  after: Date;
  before: Date;
}

/** Up to `limit` ids past `from`, in the window's order; `full` when there may be more. */
export async function timeWindowRunIds(
  workspaceId: number, window: TimeWindow, direction: ScanDirection, from: number | undefined, limit: number,
): Promise<{ ids: number[]; full: boolean }> {
  const rows = databaseProvider() === "postgresql"
    ? await db.$queryRawUnsafe<{ id: number | bigint }[]>(...pgQuery(workspaceId, window, direction, from, limit))
    : await sqliteRows(workspaceId, window, direction, from, limit);
  if (rows === null) return { ids: [], full: false };
  return { ids: rows.map((r) => Number(r.id)), full: rows.length === limit };
}

/** PostgreSQL uses a row comparison against the cursor's (createdAt, id) as an index bound. */
function pgQuery(workspaceId: number, window: TimeWindow, direction: ScanDirection, from: number | undefined, limit: number): [string, ...unknown[]] {
  const older = direction === "older";
  const params: unknown[] = [workspaceId, window.after, window.before];
  let past = "";
  if (from !== undefined) {
    params.push(from);
    past = ` AND ("createdAt", "id") ${older ? "<" : ">"} (SELECT "createdAt", "id" FROM "Run" WHERE "id" = $${params.length}::bigint AND "workspaceId" = $1)`;
  }
  params.push(limit);
  const order = older ? "DESC" : "ASC";
  return [
    `SELECT "id" FROM "Run" WHERE "workspaceId" = $1 AND "createdAt" >= $2::timestamp AND "createdAt" < $3::timestamp${past} ` +
      `ORDER BY "createdAt" ${order}, "id" ${order} LIMIT $${params.length}`,
    ...params,
  ];
}

const sqliteQuery = (sql: string, params: unknown[]) =>
  hasDirectSqlite() ? directAll(sql, ...params) : db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params);

/**
 * SQLite does not bound an index range by a row value, so the cursor's creation time is read
 * first and becomes the range's end (times are stored as fixed-width ISO text: they compare
 * as strings). Null: the cursor is not a run of this workspace.
 */
async function sqliteRows(
  workspaceId: number, window: TimeWindow, direction: ScanDirection, from: number | undefined, limit: number,
): Promise<{ id: unknown }[] | null> {
  const older = direction === "older";
  const after = sqliteDateTime(window.after);
  const before = sqliteDateTime(window.before);
  let range = `"createdAt" >= ? AND "createdAt" < ?`;
  const params: unknown[] = [workspaceId, after, before];
  if (from !== undefined) {
    const [cursor] = await sqliteQuery(`SELECT "createdAt" || '' AS "at" FROM "Run" WHERE "id" = ? AND "workspaceId" = ?`, [from, workspaceId]);
    if (!cursor) return null;
    const at = String(cursor.at);
    if (older && at < before) {
      range = `"createdAt" >= ? AND "createdAt" <= ? AND ("createdAt" < ? OR "id" < ?)`;
      params.splice(1, 2, after, at, at, from);
    } else if (!older && at >= after) {
      range = `"createdAt" >= ? AND "createdAt" < ? AND ("createdAt" > ? OR "id" > ?)`;
      params.splice(1, 2, at, before, at, from);
    }
    // Otherwise the cursor lies beyond the window on that side: the whole window is past it.
  }
  params.push(limit);
  const order = older ? "DESC" : "ASC";
  return sqliteQuery(
    `SELECT "id" FROM "Run" INDEXED BY "Run_workspaceId_createdAt_id_idx" WHERE "workspaceId" = ? AND ${range} ORDER BY "createdAt" ${order}, "id" ${order} LIMIT ?`,
    params,
  ) as Promise<{ id: unknown }[]>;
}
