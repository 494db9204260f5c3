/** Transform step: a JSONata expression over `{ inputs, steps }` (also bound as `$inputs`, `$steps`). */
import jsonata from "jsonata";
import { z } from "zod";
import { defineStepKind, StepError } from "./types";

type Expression = ReturnType<typeof jsonata>;

const CACHE_LIMIT = 500;
const compiled = new Map<string, Expression>();

/** Deepest expression nesting JSONata may evaluate (guards runaway recursion). */
const MAX_DEPTH = 500;

/**
 * Compiles an expression once per time limit (JSONata's own guardrail stops evaluation past
 * the limit, so a runaway expression cannot hold the event loop for long). Syntax errors
 * become "transform_error".
 */
function compile(expression: string, timeoutMs = 0): Expression {
  const key = `${timeoutMs}:${expression}`;
  let expr = compiled.get(key);
  if (expr) return expr;
  try {
    expr = jsonata(expression, timeoutMs > 0 ? { timeout: timeoutMs, stack: MAX_DEPTH } : undefined);
  } catch (error) {
    throw new StepError("transform_error", `Invalid JSONata expression: ${describe(error)}`);
  }
  if (compiled.size >= CACHE_LIMIT) compiled.clear();
  compiled.set(key, expr);
  return expr;
}

function describe(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    const e = error as { message: string; position?: number; token?: string };
    return e.position !== undefined ? `${e.message} (at position ${e.position})` : e.message;
  }
  return String(error);
}

const configSchema = z.object({
  expression: z.string().min(1).superRefine((expression, ctx) => {
    try {
      compile(expression);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
});

/** The "transform" step kind. */
export const transformStep = defineStepKind<z.output<typeof configSchema>>({
  kind: "transform",
  configSchema,
  async run({ config, scope, signal, timeoutMs }) {
    const expr = compile(config.expression, timeoutMs);
    let result: unknown;
    try {
      // Also bound as $inputs / $steps, which still work inside a mapped context like [1..3].(…).
      const data = { inputs: scope.inputs, steps: scope.steps };
      result = await expr.evaluate(data, data);
    } catch (error) {
      if (signal.aborted) throw new StepError("cancelled", "The step was cancelled");
      if ((error as { code?: string })?.code === "D1012") {
        throw new StepError("timeout", `Step exceeded its time limit of ${timeoutMs} ms`);
      }
      throw new StepError("transform_error", describe(error));
    }
    return normalize(result);
  },
});

/** JSONata returns arrays tagged with a `sequence` flag and undefined for "no match"; make plain JSON. */
function normalize(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    if (typeof value === "function") return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalize(v);
    return out;
  }
  return value;
}
