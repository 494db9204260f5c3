/**
 * A definition as text a person edits: checking typed text with each problem placed on a
 * line, and writing a stored definition back out as YAML or JSON (the same canonical text
 * for the editor and for comparing versions).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify } from "yaml";
import { DEFAULT_RETRY_BACKOFF_MS, DEFAULT_TIMEOUT_MS, type DefinitionError, type WorkflowDefinition } from "./definition";
import { importDefinition, parseDefinitionText } from "./definition-import";

/** A definition problem with the 1-based line it is on, when that can be told. */
export interface LocatedDefinitionError extends DefinitionError {
  line: number | null;
}

export type DefinitionTextCheck =
  | { ok: true; definition: WorkflowDefinition }
  | { ok: false; errors: LocatedDefinitionError[] };

/** Parses (JSON or YAML) and validates definition text; every problem carries its line. */
export function checkDefinitionText(text: string): DefinitionTextCheck {
  const result = importDefinition(text);
  if (result.ok) return result;
  // Syntax errors come back before any path is known, with the line in their message.
  const syntax = result.errors.every((e) => e.path.length === 0 && SYNTAX_LINE_RE.test(e.message));
  if (syntax) return { ok: false, errors: result.errors.map((e) => ({ ...e, line: Number(SYNTAX_LINE_RE.exec(e.message)![1]) })) };
  const locate = lineLocator(text);
  return { ok: false, errors: result.errors.map((e) => ({ ...e, line: locate(e.path) })) };
}

/** parseDefinitionText starts syntax messages with "Line L, column C:". */
const SYNTAX_LINE_RE = /^Line (\d+), column \d+:/;

/**
 * A function from a path in the document to the line it is on. A path that goes further
 * than the document (a missing key) gives the line of the deepest part that exists.
 */
export function lineLocator(text: string): (path: (string | number)[]) => number | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const lineAt = (offset: number | undefined) => (offset === undefined ? null : lineCounter.linePos(offset).line);
  return (path) => {
    let node: unknown = doc.contents;
    if (!node) return null;
    let line = lineAt(rangeStart(node));
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        // The key's line, not the value's: a block value starts on the line after its key.
        line = lineAt(rangeStart(pair.key)) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        const item = node.items[key];
        if (!item) break;
        line = lineAt(rangeStart(item)) ?? line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/**
 * A stored definition without the values the schema fills in by default (a step's timeout,
 * retries, join; an input's `required: true`), so the text shows what its author wrote.
 * Parsing the result gives the same definition back.
 */
export function compactDefinition(definition: WorkflowDefinition): Record<string, unknown> {
  const inputs = definition.inputs.map(({ required, ...rest }) => (required ? rest : { ...rest, required }));
  const steps = definition.steps.map(({ join, timeout_ms, retries, retry_backoff_ms, ...rest }) => ({
    ...rest,
    ...(join !== "all" ? { join } : {}),
    ...(timeout_ms !== DEFAULT_TIMEOUT_MS ? { timeout_ms } : {}),
    ...(retries !== 0 ? { retries } : {}),
    ...(retry_backoff_ms !== DEFAULT_RETRY_BACKOFF_MS ? { retry_backoff_ms } : {}),
  }));
  // Keys in a fixed order, config last, so two versions line up when compared.
  const ordered = steps.map(({ id, kind, name, needs, if: condition, config, ...rest }) =>
    dropUndefined({ id, kind, name, needs, if: condition, ...rest, config }),
  );
  return {
    ...(inputs.length ? { inputs } : {}),
    steps: ordered,
    ...(Object.keys(definition.outputs).length ? { outputs: definition.outputs } : {}),
  };
}

export type DefinitionFormat = "yaml" | "json";

/** lineWidth 0: never fold long lines (templates and expressions stay on one line each). */
const YAML_OPTIONS = { lineWidth: 0, blockQuote: "literal", indent: 2 } as const;

/** The canonical text of a definition: compact, in a fixed key order, YAML or JSON. */
export function definitionToText(definition: WorkflowDefinition, format: DefinitionFormat = "yaml"): string {
  const compact = compactDefinition(definition);
  if (format === "json") return JSON.stringify(compact, null, 2) + "\n";
  return stringify(compact, YAML_OPTIONS);
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** What a workflow file may carry besides its definition. */
export interface WorkflowFileMeta {
  name?: string;
  title?: string;
  description?: string;
}

const META_KEYS = ["name", "title", "description"] as const;

/**
 * Splits an imported document into a workflow's name, title and description and the text of
 * its definition. A workflow file carries those next to the definition (at the top level or
 * under `definition`); a bare definition comes back unchanged. Text that does not parse is
 * returned as it is, for the checker to report.
 */
export function splitWorkflowFile(text: string): { meta: WorkflowFileMeta; definitionText: string } {
  const parsed = parseDefinitionText(text);
  const value = parsed.ok ? parsed.value : null;
  if (!value || typeof value !== "object" || Array.isArray(value)) return { meta: {}, definitionText: text };
  const record = value as Record<string, unknown>;
  const meta: WorkflowFileMeta = {};
  for (const key of META_KEYS) if (typeof record[key] === "string") meta[key] = record[key] as string;
  const nested = record.definition && typeof record.definition === "object" && !Array.isArray(record.definition);
  if (!nested && Object.keys(meta).length === 0) return { meta, definitionText: text };
  const definition = nested
    ? record.definition
    : Object.fromEntries(Object.entries(record).filter(([k]) => !(META_KEYS as readonly string[]).includes(k) && k !== "labels"));
  const json = text.trimStart().startsWith("{");
  const definitionText = json ? JSON.stringify(definition, null, 2) + "\n" : stringify(definition, YAML_OPTIONS);
  return { meta, definitionText };
}
