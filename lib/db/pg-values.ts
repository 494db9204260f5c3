/**
 * Values PostgreSQL refuses where SQLite takes them, made harmless before a query reaches
 * PostgreSQL (lib/db/adapter.ts and lib/db/client.ts apply these on PostgreSQL only):
 *
 * - U+0000 in text. PostgreSQL's text cannot hold it (error 22021) while SQLite stores it,
 *   so a step error quoting a binary response, or a name with %00 in a URL, would fail the
 *   write or the lookup. It is replaced with U+FFFD in every query argument (JSON columns
 *   never contain it raw: JSON.stringify escapes it).
 * - Integers outside int4 in filters. Every Int column is a 32-bit integer on PostgreSQL
 *   (64-bit INTEGER on SQLite), and PostgreSQL refuses such a literal (22003, Prisma P2020)
 *   where SQLite just matches nothing: `/runs/3000000000` must be a 404, not a 500. A filter
 *   on a value no row can hold is rewritten to the filter that selects the same rows.
 *   (Writing such a value still fails, as it must: the column cannot store it.)
 */

export const INT4_MIN = -2_147_483_648;
export const INT4_MAX = 2_147_483_647;

const NUL = "\u0000";

/** `value` with every U+0000 in its strings (arrays included) replaced by U+FFFD; the same object when none. */
export function replaceNul<T>(value: T): T {
  if (typeof value === "string") return (value.includes(NUL) ? value.replaceAll(NUL, "\uFFFD") : value) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    value.forEach((item, i) => {
      const fixed = replaceNul(item);
      if (fixed !== item) (out ??= value.slice())[i] = fixed;
    });
    return (out ?? value) as T;
  }
  return value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const outOfRange = (v: unknown): v is number => typeof v === "number" && (v > INT4_MAX || v < INT4_MIN);

/** True when a `where` tree holds a number no int4 column can hold. */
export function hasOutOfRangeInt(where: unknown): boolean {
  if (outOfRange(where)) return true;
  if (Array.isArray(where)) return where.some(hasOutOfRangeInt);
  if (isPlainObject(where)) return Object.values(where).some(hasOutOfRangeInt);
  return false;
}

// Prisma's scalar filter operators that take a number.
const NUMBER_OPS = new Set(["equals", "lt", "lte", "gt", "gte", "not", "in", "notIn"]);

/**
 * A Prisma `where` in which every comparison with an out-of-int4 number is replaced by one
 * that selects the same storable rows: `= n` matches nothing (`in: []`), `< n` for n above
 * the range is `<= INT4_MAX`, `> n` for n below it is `>= INT4_MIN`, and so on; `not: n` is
 * `>= INT4_MIN` (any non-null value); `in`/`notIn` lose such values. Returns `where` itself when nothing changes.
 */
export function clampIntFilters<T>(where: T): T {
  if (!hasOutOfRangeInt(where)) return where;
  return rewrite(where) as T;
}

const storable = (v: unknown): number | undefined => (typeof v === "number" && !outOfRange(v) ? v : undefined);

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  let never = false;
  for (const [key, value] of Object.entries(node)) {
    if (!outOfRange(value)) {
      if ((key === "in" || key === "notIn") && Array.isArray(value)) out[key] = value.filter((v) => !outOfRange(v));
      else out[key] = rewrite(value);
      continue;
    }
    const high = value > INT4_MAX;
    if (!NUMBER_OPS.has(key)) {
      out[key] = { in: [] }; // a field compared for equality: no row has this value
    } else if ((key === "not") || ((key === "gt" || key === "gte") && !high)) {
      // `not`: differs from every storable value, so any non-null one (as `<>` leaves out NULL).
      out.gte = Math.max(storable(out.gte) ?? storable(node.gte) ?? INT4_MIN, INT4_MIN);
    } else if ((key === "lt" || key === "lte") && high) {
      out.lte = Math.min(storable(out.lte) ?? storable(node.lte) ?? INT4_MAX, INT4_MAX);
    } else {
      never = true; // equals, or a bound that excludes the whole range
    }
  }
  if (never) out.in = [];
  return out;
}
