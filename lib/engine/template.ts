/**
 * `{{ path }}` templates: `{{ inputs.name }}`, `{{ steps.read.output.rows[0].name }}`, `{{ run.id }}`.
 * No expressions, no filters: a placeholder is a path into the scope. Parsed templates are cached.
 */

/** What templates resolve against. */
export interface TemplateScope {
  inputs?: Record<string, unknown>;
  steps?: Record<string, { output: unknown } | undefined>;
  run?: { id?: string };
  /** Inside a map step: the current item and its position. */
  item?: unknown;
  index?: number;
}

type Part = string | PathRef;
interface PathRef {
  path: (string | number)[];
}

/** A parsed template: literal strings and placeholders, in order. */
interface Parsed {
  parts: Part[];
  /** The template is exactly one placeholder (so its raw value can be kept). */
  single: PathRef | null;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const IDENT = /^[A-Za-z_$][\w$-]*/;
const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[\s*(\d+)\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*'([^']*)'\s*\])/;

const CACHE_LIMIT = 2000;
const cache = new Map<string, Parsed>();

/** Parses `inputs.a.b[0]["c d"]` into segments; null when it is not a plain path. */
export function parsePath(expr: string): (string | number)[] | null {
  const head = IDENT.exec(expr);
  if (!head) return null;
  const path: (string | number)[] = [head[0]];
  let rest = expr.slice(head[0].length);
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) return null;
    path.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])));
    rest = rest.slice(m[0].length);
  }
  return path;
}

function parse(tpl: string): Parsed {
  let parsed = cache.get(tpl);
  if (parsed) return parsed;
  const parts: Part[] = [];
  let last = 0;
  for (const m of tpl.matchAll(PLACEHOLDER)) {
    const path = parsePath(m[1]);
    if (!path) continue; // not a path: left as literal text
    if (m.index > last) parts.push(tpl.slice(last, m.index));
    parts.push({ path });
    last = m.index + m[0].length;
  }
  if (last < tpl.length) parts.push(tpl.slice(last));
  const single = parts.length === 1 && typeof parts[0] !== "string" ? parts[0] : null;
  parsed = { parts, single };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(tpl, parsed);
  return parsed;
}

/** Placeholders of a template as paths (invalid placeholders are ignored). */
export function templatePaths(tpl: string): (string | number)[][] {
  if (!tpl.includes("{{")) return [];
  return parse(tpl).parts.filter((p): p is PathRef => typeof p !== "string").map((p) => p.path);
}

/** Follows a path through own properties only (no prototype lookups such as `constructor`). */
export function lookupPath(scope: unknown, path: readonly (string | number)[]): unknown {
  let value: unknown = scope;
  for (const key of path) {
    if (value === null || value === undefined) return undefined;
    if (typeof value !== "object" && typeof value !== "string") return undefined;
    if (!Object.hasOwn(value as object, key)) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** Text form of a value inside a template: strings as is, undefined as "", the rest as JSON. */
export function stringifyValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return String(value);
  }
}

/** Renders a template to a string. */
export function renderTemplate(tpl: string, scope: TemplateScope): string {
  if (!tpl.includes("{{")) return tpl;
  const { parts } = parse(tpl);
  let out = "";
  for (const part of parts) out += typeof part === "string" ? part : stringifyValue(lookupPath(scope, part.path));
  return out;
}

/**
 * Like renderTemplate, but a template that is exactly one placeholder returns the raw value
 * (a number stays a number, an object stays an object).
 */
export function resolveValueTemplate(tpl: string, scope: TemplateScope): unknown {
  if (!tpl.includes("{{")) return tpl;
  const parsed = parse(tpl);
  if (parsed.single) return lookupPath(scope, parsed.single.path);
  return renderTemplate(tpl, scope);
}

/** Whether a rendered condition counts as false. */
export function isFalsyText(text: string): boolean {
  const t = text.trim().toLowerCase();
  return t === "" || t === "false" || t === "0" || t === "null" || t === "undefined";
}

const STEP_DOT = /(?<![\w.])steps\s*\.\s*([A-Za-z_][\w-]*)/g;
const STEP_BRACKET = /(?<![\w.])steps\s*\[\s*(?:"([^"]+)"|'([^']+)')\s*\]/g;
const INPUT_DOT = /(?<![\w.])inputs\s*\.\s*([A-Za-z_]\w*)/g;
const INPUT_BRACKET = /(?<![\w.])inputs\s*\[\s*(?:"([^"]+)"|'([^']+)')\s*\]/g;

/**
 * Names after `steps.` / `inputs.` (or `steps["x"]`) anywhere in a text: templates, code,
 * JSONata. Used for DAG edges and reference checks, so it errs on the side of finding more.
 */
export function findReferences(text: string): { steps: Set<string>; inputs: Set<string> } {
  const steps = new Set<string>();
  const inputs = new Set<string>();
  if (text.includes("steps")) {
    for (const m of text.matchAll(STEP_DOT)) steps.add(m[1]);
    for (const m of text.matchAll(STEP_BRACKET)) steps.add(m[1] ?? m[2]);
  }
  if (text.includes("inputs")) {
    for (const m of text.matchAll(INPUT_DOT)) inputs.add(m[1]);
    for (const m of text.matchAll(INPUT_BRACKET)) inputs.add(m[1] ?? m[2]);
  }
  return { steps, inputs };
}
