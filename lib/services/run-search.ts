/**
 * Text search over runs: the run's id, external id, metadata, error message, and its inputs
 * and outputs (JSON text in RunPayload), literal and case-insensitive on both databases.
 *
 * Prisma turns `contains` into LIKE and escapes nothing, and the two providers differ:
 * - PostgreSQL: `mode: "insensitive"` gives ILIKE (Unicode case folding); LIKE's default
 *   escape character is the backslash, so `%`, `_` and `\` are escaped and match literally.
 * - SQLite: LIKE already ignores case, but only for ASCII letters; it has no default escape
 *   character, so `%` and `_` in the text stay wildcards. When the text holds one, the
 *   database match is a superset and each candidate is checked again here (`recheck`).
 */
import { db, type Db } from "../db/client";
import type { DatabaseProvider } from "../db/config";
import {
  candidateBatch, canUseTextIndex, type CandidateBatch, type ScanDirection, type TextIndexQuery,
} from "./run-text-index";
import { timeWindowRunIds, type TimeWindow } from "./run-time-window";

export type RunWhere = NonNullable<NonNullable<Parameters<Db["run"]["findMany"]>[0]>["where"]>;

/** The stored texts one run is searched in. */
export interface RunSearchFields {
  id: number;
  uuid: string;
  externalId: string | null;
  metadata: string;
  errorMessage: string | null;
  payload: { inputs: string; outputs: string | null } | null;
}

export interface RunTextSearch {
  /** The `OR` that finds candidate runs in the database. */
  where: RunWhere;
  /** True when the database match may include runs that do not contain the text. */
  recheck: boolean;
  /** The exact test (what the database match means, without wildcards). */
  matches(run: RunSearchFields): boolean;
  /**
   * What to ask the text index for candidates (lib/services/run-text-index.ts); null when the
   * text is too short for trigrams, and runs are scanned instead.
   */
  index: TextIndexQuery | null;
}

/** The longest search text accepted (longer text is cut: nothing real is that long). */
export const MAX_SEARCH_LENGTH = 200;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, "\\$&");

/**
 * Inputs, outputs and metadata are stored as JSON, where `"`, `\` and control characters are
 * escaped. A text holding one is looked for both as JSON writes it (a value with quotes) and
 * as typed (a piece of the JSON itself, like `"plan":"pro"`).
 */
function jsonForm(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

export function runTextSearch(raw: string, provider: DatabaseProvider): RunTextSearch | null {
  const text = raw.trim().slice(0, MAX_SEARCH_LENGTH);
  if (!text) return null;
  const json = jsonForm(text);
  const jsonTexts = json === text ? [text] : [text, json];
  const pg = provider === "postgresql";
  // `mode` exists only in the PostgreSQL client's types; the SQLite client stands for both.
  const contains = (s: string) => (pg ? { contains: escapeLike(s), mode: "insensitive" } : { contains: s }) as { contains: string };

  const or: RunWhere[] = [
    { externalId: contains(text) },
    { errorMessage: contains(text) },
    ...jsonTexts.map((s): RunWhere => ({ metadata: contains(s) })),
    // One join to the payload row (by its primary key), both columns tested there.
    { payload: { is: { OR: jsonTexts.flatMap((s) => [{ inputs: contains(s) }, { outputs: contains(s) }]) } } },
  ];
  // Ids: a UUID prefix (as shown in the console), or the integer id some APIs use.
  const idPrefix = /^[0-9a-f-]+$/i.test(text) ? text.toLowerCase() : null;
  if (idPrefix) or.push({ uuid: { startsWith: idPrefix } });
  if (/^\d{1,15}$/.test(text)) or.push({ id: Number(text) });

  const needle = text.toLowerCase();
  const jsonNeedles = jsonTexts.map((s) => s.toLowerCase());
  const has = (value: string | null | undefined, needles: string[]) => {
    if (!value) return false;
    const hay = value.toLowerCase();
    return needles.some((n) => hay.includes(n));
  };
  const intId = /^\d{1,15}$/.test(text) ? Number(text) : null;
  return {
    where: { OR: or },
    recheck: !pg && /[%_]/.test(text),
    index: canUseTextIndex(jsonTexts, provider)
      ? { texts: jsonTexts, idPrefix, intId, exact: pg && jsonTexts.length === 1 && !text.includes("\n") }
      : null,
    matches: (run) =>
      (idPrefix != null && run.uuid.startsWith(idPrefix)) ||
      String(run.id) === text ||
      has(run.externalId, [needle]) ||
      has(run.errorMessage, [needle]) ||
      has(run.metadata, jsonNeedles) ||
      has(run.payload?.inputs, jsonNeedles) ||
      has(run.payload?.outputs, jsonNeedles),
  };
}

/** The columns `matches` reads (for the recheck path). */
export const runSearchSelect = {
  id: true, uuid: true, externalId: true, metadata: true, errorMessage: true,
  payload: { select: { inputs: true, outputs: true } },
} as const;

/**
 * Ids of runs matching `where` (which holds the text search's own `where`) from a cursor, one
 * direction, in that order — through the text index: candidates come in growing batches,
 * and only they are tested with `where` (and `matches`, when a second look is needed).
 */
export function scanIndexedRunIds(
  where: RunWhere, text: RunTextSearch & { index: TextIndexQuery }, workspaceId: number,
  direction: ScanDirection, from: number | undefined, take: number,
): Promise<number[]> {
  // Exact candidates need only the filters: `where` without the text's own OR (its one OR).
  const filters = text.index.exact ? withoutTextMatch(where) : where;
  return scanCandidateRunIds(filters, (cursor, batch) => candidateBatch(text.index, workspaceId, direction, cursor, batch),
    direction, from, take, text.index.exact || !text.recheck ? null : text);
}

function withoutTextMatch(where: RunWhere): RunWhere {
  const { OR: _textMatch, ...filters } = where as RunWhere & { OR?: unknown };
  return filters;
}

/**
 * Runs created in a closed time window, in creation-time order (lib/services/run-time-window.ts):
 * candidates from the created-at index, then `where`.
 */
export function scanWindowRunIds(
  where: RunWhere, workspaceId: number, window: TimeWindow,
  direction: ScanDirection, from: number | undefined, take: number,
): Promise<number[]> {
  // The candidates are in the window already. Left in, the bounds would lead the planner to
  // test them by reading the whole window again (the created-at index) instead of by id.
  const { createdAt: _inWindow, ...filters } = where as RunWhere & { createdAt?: unknown };
  return scanCandidateRunIds(filters, async (cursor, batch) => {
    const { ids, full } = await timeWindowRunIds(workspaceId, window, direction, cursor, batch);
    return { ids, boundary: full ? ids[ids.length - 1] : undefined, done: !full };
  }, direction, from, take, null);
}

async function scanCandidateRunIds(
  where: RunWhere, next: (cursor: number | undefined, batch: number) => Promise<CandidateBatch>,
  direction: ScanDirection, from: number | undefined, take: number, recheck: RunTextSearch | null,
): Promise<number[]> {
  const found: number[] = [];
  let cursor = from;
  let batch = Math.max(take * 2, 50);
  for (;;) {
    const candidates = await next(cursor, batch);
    if (candidates.ids.length) {
      const rows = await db.run.findMany({
        where: { AND: [where, { id: { in: candidates.ids } }] },
        select: recheck ? runSearchSelect : { id: true },
      });
      // In the candidates' order (the source's: by id, or by creation time for a window).
      for (const row of inOrderOf(candidates.ids, rows)) {
        if (recheck && !recheck.matches(row as RunSearchFields)) continue;
        found.push(row.id);
        if (found.length === take) return found;
      }
    }
    if (candidates.done) return found;
    cursor = candidates.boundary;
    batch = Math.min(batch * 4, 5000);
  }
}

/** Rows (with an `id`) in the order `ids` lists them; ids without a row are left out. */
export function inOrderOf<T extends { id: number }>(ids: number[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
