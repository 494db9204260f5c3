/**
 * JSONata, compiled once and cached, with a time limit and a recursion cap. Used by the
 * transform step, conditions and branch cases.
 */
import jsonata from "jsonata";
import { StepError } from "./steps/types";

type Expression = ReturnType<typeof jsonata>;

const CACHE_LIMIT = 500;
const compiled = new Map<string, Expression>();

/** Deepest expression nesting JSONata may evaluate (guards runaway recursion). */
const MAX_DEPTH = 500;

/** A JSONata error as one readable line (with its position when JSONata gives one). */
export function describeJsonataError(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    const e = error as { message: string; position?: number };
    return e.position !== undefined ? `${e.message} (at position ${e.position})` : e.message;
  }
  return String(error);
}

/**
 * Compiles an expression once per time limit (JSONata's own guardrail stops evaluation past
 * the limit, so a runaway expression cannot hold the event loop for long). Syntax errors
 * become a StepError with `errorCode`.
 */
export function compileJsonata(expression: string, timeoutMs = 0, errorCode = "transform_error"): Expression {
  const key = `${timeoutMs}:${expression}`;
  let expr = compiled.get(key);
  if (expr) return expr;
  try {
    expr = jsonata(expression, timeoutMs > 0 ? { timeout: timeoutMs, stack: MAX_DEPTH } : undefined);
  } catch (error) {
    throw new StepError(errorCode, `Invalid JSONata expression: ${describeJsonataError(error)}`);
  }
  if (compiled.size >= CACHE_LIMIT) compiled.clear();
  compiled.set(key, expr);
  return expr;
}

/** The syntax error of an expression, or null when it compiles. */
export function jsonataSyntaxError(expression: string): string | null {
  try {
    compileJsonata(expression);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Evaluates an expression over `data` (also bound as $name for each key, which keeps working
 * inside mapped contexts). Time limit → "timeout"; abort → "cancelled"; others → errorCode.
 */
export async function evaluateJsonata(
  expression: string,
  data: Record<string, unknown>,
  opts: { timeoutMs: number; signal?: AbortSignal; errorCode?: string },
): Promise<unknown> {
  const errorCode = opts.errorCode ?? "transform_error";
  const expr = compileJsonata(expression, opts.timeoutMs, errorCode);
  try {
    return await expr.evaluate(data, data);
  } catch (error) {
    if (opts.signal?.aborted) throw new StepError("cancelled", "The step was cancelled");
    if ((error as { code?: string })?.code === "D1012") {
      throw new StepError("timeout", `Expression exceeded its time limit of ${opts.timeoutMs} ms`);
    }
    throw new StepError(errorCode, describeJsonataError(error));
  }
}

/** JSONata returns arrays tagged with a `sequence` flag and undefined for "no match"; make plain JSON. */
export function toPlainJson(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value && typeof value === "object") {
    if (typeof value === "function") return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlainJson(v);
    return out;
  }
  return value;
}
