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
import type { Db } from "../db/client";
import type { DatabaseProvider } from "../db/config";

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
  return {
    where: { OR: or },
    recheck: !pg && /[%_]/.test(text),
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
