/**
 * Whether a server action's arguments, as React's client encodes them (a "reply"), hold only
 * what Flowdeck's actions take: plain JSON values, the scalars React writes as `$` strings
 * (undefined, dates, bigints, NaN, ±Infinity, -0), forms (`$K`), and references to parts of
 * the arguments themselves (`$0:key:…`, written for an object passed twice).
 *
 * React decodes everything else too — Maps, Sets, blobs, streams, promises, server references
 * — and answers 500 when such a reference points nowhere (`["$Q1"]` with no row 1), when a
 * row is not JSON, when nesting exhausts the stack, or when arrays pass its slot limit. No
 * action here takes those, and the browser never sends them, so they are refused as the
 * client's mistake instead.
 *
 * The rules follow React 19.3's decoder (inside Next.js 16.4). After an upgrade, the tests say
 * whether they still hold: action-reply-shape.test.ts runs React's own client encoder through
 * them, and action-post-screen.test.ts sends generated bodies to the server (never a 5xx).
 *
 * Rows: the root is row 0. A multipart reply carries other rows as fields named by their
 * decimal id; Next.js streams the body, so only the fields before "0" exist when the root is
 * read (a reference to a later one is "Invalid forward reference").
 */

/** Deeper than this, React's recursive decoding may run out of stack (it did at 5,000). */
export const MAX_REPLY_DEPTH = 1000;
/** React's own limit (MAX_BIGINT_DIGITS); longer is an error inside its decoder. */
const MAX_BIGINT_DIGITS = 300;
/** React's default arraySizeLimit: array slots (elements, string lengths) one decode may count. */
export const MAX_ARRAY_SLOTS = 1_000_000;

/** `$` + one of these is a value on its own: $$ (an escaped "$"), undefined, Date, NaN, Infinity, -0 / -Infinity. */
const SCALAR_KINDS = new Set(["$", "u", "D", "N", "I", "-"]);
/**
 * The other kinds React's decoder knows (its parseModelString): promises, server and temporary
 * references, Maps, Sets, iterators, typed arrays, blobs, streams. Any other `$` string is a
 * reference to a row (`$<hex id>[:key…]`), so `$B1` is a blob but `$F1` is row 0xF1.
 */
const REFUSED_KINDS = new Set("@hHTQWiAOoUSsLlGgMmVBRrXx");

type RowRead = { ok: true; value: unknown } | { ok: false; problem: string };
/** Reads row `id`, met at `depth`: React decodes a referenced row inside the reference, so depths add up. */
type ReadRow = (id: number, depth: number) => RowRead;

/**
 * Why React's decoder would fail on these arguments, or take something no action here
 * accepts; null when they are fine. `root` is row 0's text; `rows` the other rows' texts
 * that precede it, by id. `whose` starts the messages (whose arguments they are).
 */
export function replyArgumentsProblem(root: string, rows: ReadonlyMap<number, string> = new Map(), whose = "A server action's"): string | null {
  let args: unknown;
  try {
    args = JSON.parse(root);
  } catch {
    return `${whose} arguments must be a JSON array`;
  }
  if (!Array.isArray(args)) return `${whose} arguments must be a JSON array`;

  const parsed = new Map<number, unknown>([[0, args]]);
  // `inArray`: inside an array, where React counts what it decodes against its array limit
  // (a row's root counts too: React gives each row such a count).
  const pending: { value: unknown; depth: number; inArray: boolean }[] = [{ value: args, depth: 0, inArray: true }];
  const readRow: ReadRow = (id, depth) => {
    if (parsed.has(id)) return { ok: true, value: parsed.get(id) };
    const text = rows.get(id);
    if (text === undefined) return { ok: false, problem: `refers to row ${id}, which the body does not hold before the arguments` };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, problem: `refers to row ${id}, which is not JSON` };
    }
    parsed.set(id, value);
    pending.push({ value, depth, inArray: true });
    return { ok: true, value };
  };

  // React's array limit, bounded from above: the slots of the arrays and of the strings in
  // them; a reference to a string adds its length, and one to an array adds that array's
  // count, which is at most everything counted so far: each may double the total.
  let slots = 0;
  let doublings = 0;
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, depth, inArray } = item;
    if (typeof value === "string") {
      if (!value.startsWith("$")) {
        if (inArray) slots += value.length;
        continue;
      }
      const read = readReference(value, (id) => readRow(id, depth));
      if (typeof read === "string") return `${whose} argument ${JSON.stringify(value.slice(0, 40))} ${read}`;
      if (!inArray) continue;
      if (read.kind === "scalar") slots += value.length;
      else if (typeof read.target === "string") slots += read.target.length;
      else if (Array.isArray(read.target)) doublings++;
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_REPLY_DEPTH) return `${whose} arguments may nest at most ${MAX_REPLY_DEPTH} levels deep`;
    const array = Array.isArray(value);
    if (array) slots += value.length + 1;
    for (const child of array ? value : Object.values(value)) pending.push({ value: child, depth: depth + 1, inArray: array });
  }
  if (slots * 2 ** doublings > MAX_ARRAY_SLOTS) {
    return `${whose} arguments hold more than React decodes (${MAX_ARRAY_SLOTS.toLocaleString("en")} array slots, references to arrays counted again)`;
  }
  return null;
}

/**
 * The same for a multipart reply: the arguments are field "0", and the rows they may refer to
 * are the numbered fields before it (Next.js streams the body: later ones do not exist yet).
 */
export function replyFormProblem(form: FormData): string | null {
  const rows = new Map<number, string>();
  const seen = new Set<string>();
  for (const [name, value] of form) {
    if (name === "0") {
      if (typeof value !== "string") break;
      return form.getAll("0").length > 1 ? "A server action's arguments must be given once (field \"0\")" : replyArgumentsProblem(value, rows);
    }
    if (!/^[1-9]\d*$/.test(name)) continue; // a form's fields (`_1_name`), read through `$K`
    if (seen.has(name)) return `A server action's row ${name} is given twice`;
    seen.add(name);
    if (typeof value === "string") rows.set(Number(name), value);
  }
  return "A server action's arguments must be a JSON array in the form field \"0\"";
}

/**
 * The same for a form posted without JavaScript (React's `decodeAction`). A form whose action
 * has bound arguments (a `useActionState` form does) names the action in `$ACTION_REF_<k>`'s
 * row `$ACTION_<k>:0`, `{"id": …, "bound": …}`; `bound` is null, an array, or `$@<n>`, a
 * promise of row `$ACTION_<k>:<n>`, which holds the arguments array. The whole form is read
 * before it is decoded, so every row is there, whatever its place.
 */
export function formActionProblem(form: FormData): string | null {
  for (const name of form.keys()) {
    const ref = /^\$ACTION_REF_(.*)$/.exec(name);
    if (!ref) continue;
    const prefix = `$ACTION_${ref[1]}:`;
    const rows = new Map<number, string>();
    for (const [field, value] of form) {
      if (field.startsWith(prefix) && /^\d+$/.test(field.slice(prefix.length)) && typeof value === "string") rows.set(Number(field.slice(prefix.length)), value);
    }
    let meta: unknown;
    try {
      meta = JSON.parse(rows.get(0) ?? "");
    } catch {
      return `A form's action reference ${prefix}0 must be JSON`;
    }
    if (meta === null || typeof meta !== "object" || typeof (meta as { id?: unknown }).id !== "string") return `A form's action reference ${prefix}0 must name an action`;
    const bound = (meta as { bound?: unknown }).bound ?? null;
    let boundText: string | undefined;
    if (typeof bound === "string" && /^\$@[0-9a-f]+$/i.test(bound)) {
      boundText = rows.get(parseInt(bound.slice(2), 16));
      if (boundText === undefined) return `A form's bound arguments (${bound}) refer to a row the form does not hold`;
    } else if (Array.isArray(bound)) {
      boundText = JSON.stringify(bound);
    } else if (bound !== null) {
      return "A form's bound arguments must be null, an array, or a reference to one";
    }
    if (boundText !== undefined) {
      const problem = replyArgumentsProblem(boundText, rows, "A form's bound");
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * What one `$` string is: a scalar, or a reference and the value it points at (in the raw
 * JSON); a string saying what is wrong when React would fail on it or no action takes it.
 */
function readReference(value: string, readRow: (id: number) => RowRead): { kind: "scalar" } | { kind: "reference"; target: unknown } | string {
  const kind = value[1];
  if (kind !== undefined && SCALAR_KINDS.has(kind)) return { kind: "scalar" };
  if (kind === "n") {
    const digits = value.slice(2);
    return /^-?\d+$/.test(digits) && digits.length <= MAX_BIGINT_DIGITS ? { kind: "scalar" } : "is not a bigint of at most 300 digits";
  }
  // A form: its fields are read by name prefix, and none at all is an empty form.
  if (kind === "K") return { kind: "scalar" };
  if (REFUSED_KINDS.has(kind)) return "is a kind of React value (a Map, Set, blob, stream, promise, typed array, server reference…) that Flowdeck's actions do not take";
  // A reference to a row, or to a path inside one: `$<hex id>[:key…]`.
  const [id, ...path] = value.slice(1).split(":");
  if (!/^[0-9a-f]+$/i.test(id)) return "is not a reference to a row (`$<hex id>`; write a literal \"$\" as \"$$\")";
  const row = readRow(parseInt(id, 16));
  if (!row.ok) return row.problem;
  let at = row.value;
  for (const key of path) {
    // React follows own properties only, and only through objects it has already built.
    if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) return "refers to a path the arguments do not hold";
    at = (at as Record<string, unknown>)[key];
  }
  return { kind: "reference", target: at };
}
