/**
 * The text index behind history search: it lists *candidate* runs for a search text, newest
 * first (or oldest first) from a keyset cursor, and the exact test of lib/services/run-search.ts
 * then runs on those candidates only — so results are exactly what a full scan would give,
 * at the cost of reading a few candidate rows instead of every run.
 *
 * The index holds the trigrams of each run's searchable text in up to three parts (external
 * id + error message + metadata; inputs; outputs), kept current by database triggers
 * (migration 20261123190000_run_text_index), so every write path — Prisma, the direct SQLite
 * writes of run-store.ts, raw SQL — maintains it:
 * - SQLite: "RunSearch", a contentless FTS5 table with the trigram tokenizer (rowid = run id
 *   * 4 + part). It stores no text, only which rows hold which trigrams (detail=none); a
 *   query asks for rows holding every trigram of the text, in rowid order, lazily. Writes
 *   only queue the changed parts ("RunSearchPending"), indexed 256 at a time (an FTS5 write
 *   per commit would cost each run about half a millisecond); the queued runs are always
 *   candidates, so a run is found the moment it is stored.
 * - PostgreSQL: flowdeck_search.run_text (run_id, part, chunk, workspace_id, body) with a
 *   pg_trgm GIN index; each part is cut into overlapping chunks of 2,000 characters, so the
 *   re-check of an index hit reads a chunk, not a 200 KB document. `body ILIKE` finds the
 *   chunks holding the text; the planner walks the primary key newest-first when the text
 *   is common and uses the trigram index when it is rare. (Its own schema keeps it out of
 *   Prisma's schema diff.)
 *
 * Text shorter than three characters has no trigram: it is searched the old way (a scan).
 */
import { db } from "../db/client";
import { databaseProvider, type DatabaseProvider } from "../db/config";
import { directAll, directWrite, hasDirectSqlite } from "../db/sqlite-direct";

/** The shortest search text the trigram index can answer. */
export const MIN_INDEXED_LENGTH = 3;
/**
 * PostgreSQL stores each part in chunks that overlap by this many characters, so any text
 * this long or shorter lies whole inside one chunk. A longer text (only a JSON form full
 * of escapes can be) is searched by scanning instead.
 */
const CHUNK_OVERLAP = 200;

/** Whether the index can answer a search for these texts on this database. */
export function canUseTextIndex(texts: string[], provider: DatabaseProvider): boolean {
  if (texts.some((t) => Array.from(t).length < MIN_INDEXED_LENGTH)) return false;
  return provider === "sqlite" || texts.every((t) => t.length <= CHUNK_OVERLAP);
}

export type ScanDirection = "older" | "newer";

/** What the index is asked for one search. */
export interface TextIndexQuery {
  /** The text as typed, and (when different) as JSON stores it: a run matching either is a candidate. */
  texts: string[];
  /** A UUID prefix (lower-case hex and dashes), looked up in the run's uuid index. */
  idPrefix: string | null;
  /** An integer run id. */
  intId: number | null;
  /**
   * The candidates are exactly the matches (PostgreSQL: `ILIKE` on the stored parts, the
   * chunks overlapping by more than the text), so only the filters need checking. Not when
   * the text holds a line break (part 0 joins its fields with one) or has a JSON form of its
   * own (that form must not match the external id or error message).
   */
  exact: boolean;
}

/** Up to `limit` candidate run ids past `from`, in the scan's order; `full` when more may follow. */
export type Source = (direction: ScanDirection, from: number | undefined, limit: number) => Promise<{ ids: number[]; full: boolean }>;

/**
 * One batch of candidates from every source, merged: run ids past `from` in scan order, all
 * of them up to `boundary` (inclusive). `done` when no source has more past what it returned.
 */
/** The statements that index the queued parts (the same as the migration's flush trigger). */
const FLUSH_SQL = [
  'DELETE FROM "RunSearch" WHERE rowid IN (SELECT "key" FROM "RunSearchPending" WHERE "indexed" = 1)',
  'INSERT INTO "RunSearch" (rowid, "text") SELECT p."key", concat_ws(char(10), r."externalId", r."errorMessage", r."metadata") ' +
    'FROM "RunSearchPending" p JOIN "Run" r ON r."id" = p."key" / 4 ' +
    'WHERE p."key" % 4 = 0 AND (r."externalId" IS NOT NULL OR r."errorMessage" IS NOT NULL OR r."metadata" <> \'{}\')',
  'INSERT INTO "RunSearch" (rowid, "text") SELECT p."key", y."inputs" FROM "RunSearchPending" p JOIN "RunPayload" y ON y."runId" = p."key" / 4 WHERE p."key" % 4 = 1',
  'INSERT INTO "RunSearch" (rowid, "text") SELECT p."key", y."outputs" FROM "RunSearchPending" p JOIN "RunPayload" y ON y."runId" = p."key" / 4 ' +
    'WHERE p."key" % 4 = 2 AND y."outputs" IS NOT NULL',
  'DELETE FROM "RunSearchPending"',
];

/** SQLite: index what is queued now (the database does it by itself every 256 parts). */
export async function flushTextIndex(): Promise<void> {
  if (databaseProvider() !== "sqlite") return;
  if (hasDirectSqlite()) {
    await directWrite({ statements: FLUSH_SQL.map((sql) => ({ sql, params: [] })) });
    return;
  }
  await db.$transaction(FLUSH_SQL.map((sql) => db.$executeRawUnsafe(sql)));
}

export async function candidateBatch(
  query: TextIndexQuery, workspaceId: number, direction: ScanDirection, from: number | undefined, limit: number,
): Promise<CandidateBatch> {
  const sources: Source[] = [textSource(query.texts, workspaceId)];
  if (databaseProvider() === "sqlite") sources.push(pendingSource);
  if (query.idPrefix) sources.push(uuidSource(query.idPrefix, workspaceId));
  if (query.intId !== null) sources.push(intIdSource(query.intId));
  return mergeSources(sources, direction, from, limit);
}

export interface CandidateBatch {
  /** Candidate run ids past the cursor, in scan order, every one of them up to `boundary`. */
  ids: number[];
  boundary: number | undefined;
  /** Nothing past `boundary`: the scan is complete. */
  done: boolean;
}

/** Asks every source for `limit` ids past `from` and merges what is known for sure. */
export async function mergeSources(sources: Source[], direction: ScanDirection, from: number | undefined, limit: number): Promise<CandidateBatch> {
  const results = await Promise.all(sources.map((s) => s(direction, from, limit)));
  const older = direction === "older";
  // A source that came back full has not been read past its last id: nothing beyond it is known.
  let boundary: number | undefined;
  for (const r of results) {
    if (!r.full || r.ids.length === 0) continue;
    const last = r.ids[r.ids.length - 1];
    if (boundary === undefined || (older ? last > boundary : last < boundary)) boundary = last;
  }
  const merged = [...new Set(results.flatMap((r) => r.ids))]
    .filter((id) => boundary === undefined || (older ? id >= boundary : id <= boundary))
    .sort((a, b) => (older ? b - a : a - b));
  return { ids: merged, boundary, done: boundary === undefined };
}

// ── Sources ──────────────────────────────────────────────────────────────────────────────

/** Parts per run in the SQLite index's rowid space (run id * PARTS + part). */
const PARTS = 4;

function textSource(texts: string[], workspaceId: number): Source {
  return databaseProvider() === "postgresql" ? pgTextSource(texts, workspaceId) : sqliteTextSource(texts);
}

/**
 * FTS5 query: rows holding every trigram of one of the texts. Each trigram is its own quoted
 * token (the index keeps no positions); the tokenizer folds case as it did when indexing.
 */
export function ftsTrigramQuery(texts: string[]): string {
  return texts
    .map((text) => {
      const chars = Array.from(text);
      const grams = new Set<string>();
      for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(""));
      return `(${[...grams].map((g) => `"${g.replace(/"/g, '""')}"`).join(" AND ")})`;
    })
    .join(" OR ");
}

/**
 * FTS5 walks a doclist from one end and does not seek to a rowid bound (measured: the cost
 * grows with the distance from the end it starts at), so both directions read from the
 * newest end, where history is read: older pages stop after `limit` runs; a newer page
 * reads the runs between the newest and the cursor and keeps the `limit` nearest the cursor.
 */
function sqliteTextSource(texts: string[]): Source {
  const match = ftsTrigramQuery(texts);
  const read = (sql: string, ...params: unknown[]): Promise<{ r: number | bigint }[]> | { r: number | bigint }[] =>
    hasDirectSqlite() ? (directAll(sql, ...params) as { r: number }[]) : db.$queryRawUnsafe<{ r: number | bigint }[]>(sql, ...params);
  const runIds = (rows: { r: number | bigint }[]) => {
    const ids: number[] = [];
    for (const row of rows) {
      const id = Math.floor(Number(row.r) / PARTS);
      if (ids[ids.length - 1] !== id) ids.push(id);
    }
    return ids;
  };
  return async (direction, from, limit) => {
    if (direction === "older") {
      // Up to three rows per run: ask for enough rows to name `limit` runs.
      const rowLimit = limit * 3;
      const rows = from === undefined
        ? await read('SELECT rowid AS r FROM "RunSearch" WHERE "RunSearch" MATCH ? ORDER BY rowid DESC LIMIT ?', match, rowLimit)
        : await read('SELECT rowid AS r FROM "RunSearch" WHERE "RunSearch" MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?', match, from * PARTS, rowLimit);
      return { ids: runIds(rows), full: rows.length === rowLimit };
    }
    const newer = runIds(await read(
      'SELECT rowid AS r FROM "RunSearch" WHERE "RunSearch" MATCH ? AND rowid >= ? ORDER BY rowid DESC', match, ((from ?? -1) + 1) * PARTS,
    ));
    const nearest = newer.slice(-limit).reverse();
    return { ids: nearest, full: newer.length > limit };
  };
}

/** SQLite: runs with parts queued for indexing (at most a few hundred), all candidates. */
const pendingSource: Source = async (direction, from) => {
  const sql = 'SELECT DISTINCT "key" / 4 AS "id" FROM "RunSearchPending"';
  const rows = hasDirectSqlite() ? directAll(sql) : await db.$queryRawUnsafe<{ id: number | bigint }[]>(sql);
  const older = direction === "older";
  const ids = rows.map((r) => Number(r.id)).filter((id) => from === undefined || (older ? id < from : id > from));
  return { ids: ids.sort((a, b) => (older ? b - a : a - b)), full: false };
};

/** LIKE's own escape character on PostgreSQL is the backslash: %, _ and \ match literally. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, "\\$&");

function pgTextSource(texts: string[], workspaceId: number): Source {
  const patterns = texts.map((t) => `%${escapeLike(t)}%`);
  return async (direction, from, limit) => {
    const older = direction === "older";
    const params: unknown[] = [workspaceId, ...patterns];
    const match = patterns.map((_, i) => `body ILIKE $${i + 2}`).join(" OR ");
    let past = "";
    if (from !== undefined) {
      params.push(from);
      // bigint: a cursor past the int4 range compares as what it is instead of failing.
      past = `AND run_id ${older ? "<" : ">"} $${params.length}::bigint`;
    }
    params.push(limit);
    const rows = await db.$queryRawUnsafe<{ id: number }[]>(
      `SELECT run_id AS id FROM flowdeck_search.run_text WHERE workspace_id = $1 AND (${match}) ${past} ` +
        `GROUP BY run_id ORDER BY run_id ${older ? "DESC" : "ASC"} LIMIT $${params.length}`,
      ...params,
    );
    return { ids: rows.map((r) => Number(r.id)), full: rows.length === limit };
  };
}

/** The smallest string greater than every string that starts with `prefix` (code unit order). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function uuidSource(prefix: string, workspaceId: number): Source {
  return async (direction, from, limit) => {
    const older = direction === "older";
    // Only a range on the uuid index (checked exactly too): with the workspace or an order in
    // the query, the planner may walk every run instead. The range is small (three hex
    // characters or more: one run in 4,096 at most), so it is filtered and ordered here.
    const rows = await db.run.findMany({
      where: { uuid: { gte: prefix, lt: prefixEnd(prefix), startsWith: prefix } },
      select: { id: true, workspaceId: true },
    });
    const ids = rows
      .filter((r) => r.workspaceId === workspaceId && (from === undefined || (older ? r.id < from : r.id > from)))
      .map((r) => r.id)
      .sort((a, b) => (older ? b - a : a - b));
    return { ids: ids.slice(0, limit), full: ids.length > limit };
  };
}

function intIdSource(id: number): Source {
  return async (direction, from) => {
    const past = from === undefined || (direction === "older" ? id < from : id > from);
    return { ids: past ? [id] : [], full: false };
  };
}
