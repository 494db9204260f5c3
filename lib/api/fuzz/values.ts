/**
 * Hostile values and the mutations that plant them in otherwise reasonable requests: wrong
 * types, nulls, huge and NUL-laden strings, lone surrogates, deep nesting, prototype keys,
 * numbers past what JSON or 64-bit integers hold. Pure data, no I/O.
 */
import fc from "fast-check";

/** A JSON object with a real own `__proto__` key (an object literal would set the prototype instead). */
const protoKey = () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown;

/**
 * JSON text to splice in as it is: values too deep for JSON.stringify (which recurses) are
 * written as text, and the request's serializer (toJsonText) copies them verbatim.
 */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `<raw json, ${this.text.length} chars>`;
  }
}

/** `[[[…]]]` nested `depth` deep. */
export function nestedArrays(depth: number): RawJson {
  return new RawJson(`${"[".repeat(depth)}${"]".repeat(depth)}`);
}

/** `{"a":{"a":…}}` nested `depth` deep. */
export function nestedObjects(depth: number): RawJson {
  return new RawJson(`${'{"a":'.repeat(depth)}{}${"}".repeat(depth)}`);
}

/** JSON text of a value that may hold RawJson pieces (which JSON.stringify cannot nest). */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : toJsonText(v))).join(",")}]`;
  if (value && typeof value === "object") {
    const parts: string[] = [];
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${toJsonText(v)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A copy of a JSON value (RawJson pieces are shared: they are never changed). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value && typeof value === "object" && !(value instanceof RawJson)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, { value: cloneJson((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
    }
    return out as T;
  }
  return value;
}

/** Short strings that break naive code: escapes, controls, odd Unicode, injection-looking text. */
export const nastyStrings = [
  "", " ", "\t\n", "null", "true", "0", "-1", "1e999", "NaN", "Infinity", "[]", "{}", "__proto__", "constructor", "prototype",
  "\u0000", "a\u0000b", "\u0000".repeat(64), "\ud800", "\udfff\ud800", "💥", "𝕏𝕐", "\u202eevil", "İıß", "ﬀ", "\uFEFFbom",
  "../../etc/passwd", "..", ".", "%00", "%", "%zz", "a/b", "a\\b", "<script>alert(1)</script>", "' OR 1=1 --", "\"; DROP TABLE \"Run\"; --",
  "${7*7}", "{{ inputs }}", "{{ secrets.x }}", "{% for %}", "$(id)", "`id`", "\r\nX-Injected: 1", "javascript:alert(1)",
  "fd_", "fd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "9".repeat(30), "-9223372036854775809", "18446744073709551616", "0x10", "1_000", "v1", "V9", "v0",
];

/** Numbers at and past the edges. */
export const nastyNumbers = [
  0, -0, -1, 1, 1.5, -2.5, 0.1, 1e-320, 1e21, 1e308, -1e308, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 9.999e15,
];

/** A string of the full code point range, including controls and lone surrogates. */
export const binaryString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "binary-ascii", maxLength: 40 }),
  fc.array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 }).map((cs) => `x${String.fromCharCode(...cs)}y`),
);

/** One hostile value, of any JSON type. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(...nastyStrings) },
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...nastyNumbers) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], [[]], { "": "" }) },
  { weight: 3, arbitrary: binaryString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constant(null).map(protoKey) },
  // Huge strings: past every column and message size, below the 1 MiB body limit.
  { weight: 1, arbitrary: fc.constantFrom(5_000, 70_000, 300_000).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(2_001, 65_536).map((n) => "\u0000é".repeat(n / 2)) },
  // Deep nesting: recursive code (hashing, cloning, validation) meets a stack limit somewhere.
  { weight: 1, arbitrary: fc.constantFrom(64, 1_000, 20_000, 150_000).map(nestedArrays) },
  { weight: 1, arbitrary: fc.constantFrom(64, 1_000, 20_000).map(nestedObjects) },
  { weight: 1, arbitrary: fc.constantFrom(501, 5_000, 60_000).map((n) => Array.from({ length: n }, (_, i) => i % 7)) },
  { weight: 1, arbitrary: fc.constantFrom(51, 2_000).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))) },
);

// ── Mutations of a JSON value ───────────────────────────────────────────────────────────

export type Mutation =
  | { kind: "replace"; at: number; value: unknown }
  | { kind: "drop"; at: number }
  | { kind: "add"; at: number; key: string; value: unknown }
  | { kind: "wrap"; at: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: nastyValue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("add" as const), at: fc.nat(),
      key: fc.oneof(fc.constantFrom("__proto__", "constructor", "extra", "", "inputs", "id", "workspaceId", "workspace_id", "status"), fc.string({ maxLength: 12 })),
      value: nastyValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("wrap" as const), at: fc.nat() }) },
);

type Slot = { get(): unknown; set(v: unknown): void; drop?: () => void; path: string };

/** Every place in a value (depth-first), with a setter; the root is slot 0. Deep values are not walked past `maxDepth`. */
function slots(root: { v: unknown }, maxDepth = 12): Slot[] {
  const out: Slot[] = [{ get: () => root.v, set: (v) => (root.v = v), path: "$" }];
  const walk = (value: unknown, path: string, depth: number) => {
    if (depth > maxDepth || !value || typeof value !== "object" || value instanceof RawJson) return;
    if (Array.isArray(value)) {
      value.slice(0, 50).forEach((item, i) => {
        out.push({ get: () => value[i], set: (v) => (value[i] = v), drop: () => value.splice(i, 1), path: `${path}[${i}]` });
        walk(item, `${path}[${i}]`, depth + 1);
      });
    } else {
      const obj = value as Record<string, unknown>;
      for (const key of Object.keys(obj).slice(0, 50)) {
        out.push({
          get: () => obj[key],
          set: (v) => Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true }),
          drop: () => delete obj[key],
          path: `${path}.${key}`,
        });
        walk(obj[key], `${path}.${key}`, depth + 1);
      }
    }
  };
  walk(root.v, "$", 0);
  return out;
}

function short(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…(${text.length})` : text;
}

/** Applies mutations to a copy of `value`; returns it with a note per mutation. */
export function applyMutations(value: unknown, mutations: Mutation[]): { value: unknown; notes: string[] } {
  const root = { v: cloneJson(value) };
  const notes: string[] = [];
  for (const m of mutations) {
    const all = slots(root);
    const slot = all[m.at % all.length];
    if (m.kind === "replace") {
      slot.set(m.value);
      notes.push(`${slot.path} := ${short(m.value)}`);
    } else if (m.kind === "drop") {
      if (slot.drop) {
        slot.drop();
        notes.push(`drop ${slot.path}`);
      }
    } else if (m.kind === "add") {
      const target = slot.get();
      if (target && typeof target === "object" && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        notes.push(`${slot.path}[${JSON.stringify(m.key)}] += ${short(m.value)}`);
      }
    } else {
      slot.set([slot.get()]);
      notes.push(`wrap ${slot.path} in []`);
    }
  }
  return { value: root.v, notes };
}
