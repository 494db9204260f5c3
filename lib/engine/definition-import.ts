/**
 * Reads a workflow definition from text: JSON or YAML (YAML 1.2, which is a superset of
 * JSON, so one parser covers both). Syntax problems come back with line and column.
 */
import { parseDocument } from "yaml";
import { validateDefinition, type DefinitionError, type DefinitionValidation } from "./definition";

/** Largest definition document accepted, in characters. */
export const MAX_DEFINITION_CHARS = 1_000_000;

/** Parse result: the raw value, or syntax errors. */
export type ParsedDocument = { ok: true; value: unknown } | { ok: false; errors: DefinitionError[] };

/** Parses JSON or YAML text into a plain value. Never throws. */
export function parseDefinitionText(text: string): ParsedDocument {
  if (text.length > MAX_DEFINITION_CHARS) {
    return { ok: false, errors: [{ path: [], message: `The definition is too large (over ${MAX_DEFINITION_CHARS} characters)` }] };
  }
  if (text.trim() === "") return { ok: false, errors: [{ path: [], message: "The definition is empty" }] };
  // Aliases are capped so a "billion laughs" document cannot blow up memory.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return { path: [], message: at ? `Line ${at.line}, column ${at.col}: ${firstLine(e.message)}` : firstLine(e.message) };
      }),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return { ok: false, errors: [{ path: [], message: error instanceof Error ? error.message : String(error) }] };
  }
}

/** Parses and validates a definition document in one go. */
export function importDefinition(text: string): DefinitionValidation {
  const parsed = parseDefinitionText(text);
  return parsed.ok ? validateDefinition(parsed.value) : parsed;
}

/** The first line of a parser message, without its own trailing " at line L, column C:". */
function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}
