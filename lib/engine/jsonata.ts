/**
 * JSONata, compiled once and cached, with a time limit and a recursion cap. Used by the
 * transform step, conditions and branch cases.
 *
 * Expressions are written by workspace members and evaluated in the process that runs the step (the server, or a worker), so one
 * evaluation must not hold the process: JSONata's evaluation is a chain of promises that never
 * waits on I/O, which on its own would starve the event loop (every request, stream and run of
 * every workspace) for as long as the expression runs. A hook on each evaluation step gives the
 * event loop a turn every few milliseconds, enforces the time limit and stops at once when the
 * step is cancelled. `$pad`, the one built-in that makes a huge string from a short expression
 * in a single synchronous call, is capped.
 */
import jsonata from "jsonata";
import { StepError } from "./steps/types";

type Expression = ReturnType<typeof jsonata>;

const CACHE_LIMIT = 500;
const compiled = new Map<string, Expression>();

/** Deepest expression nesting JSONata may evaluate (guards runaway recursion). */
const MAX_DEPTH = 500;

/** An evaluation gives the event loop a turn at least this often (ms of its own running). */
const YIELD_EVERY_MS = 10;
/** The clock is read every this many evaluation steps (reading it on each one costs more than the steps). */
const CHECK_EVERY_STEPS = 64;
/** Longest string `$pad` may return (characters). */
export const MAX_PAD_WIDTH = 1_000_000;

/** Where an evaluation keeps its limits: a binding no JSONata name can spell, so expressions cannot read or rebind it. */
const BUDGET = " flowdeck evaluation budget";
const ENTRY_HOOK = Symbol.for("jsonata.__evaluate_entry");

interface Budget {
  /** performance.now() past which the evaluation stops (Infinity: no limit). */
  deadline: number;
  timeoutMs: number;
  signal?: AbortSignal;
  steps: number;
  lastYield: number;
}

interface JsonataFrame {
  lookup(name: string | symbol): unknown;
  /** The evaluation's outermost frame (JSONata sets it on every frame). */
  base?: object;
}

/** Each evaluation's budget by its outermost frame: found once, not looked up through the frames on every step. */
const budgets = new WeakMap<object, Budget | null>();

function budgetOf(env: JsonataFrame): Budget | null {
  const base = env.base ?? env;
  let budget = budgets.get(base);
  if (budget === undefined) {
    budget = (env.lookup(BUDGET) as Budget | undefined) ?? null;
    budgets.set(base, budget);
  }
  return budget;
}

/**
 * Runs before every evaluation step of every expression (see the module comment). Not async:
 * most steps return at once, with no promise to wait for.
 */
function onEvaluationStep(_expr: unknown, _input: unknown, env: JsonataFrame): Promise<void> | undefined {
  const budget = budgetOf(env);
  if (!budget || ++budget.steps % CHECK_EVERY_STEPS !== 0) return undefined;
  if (budget.signal?.aborted) throw budget.signal.reason ?? new Error("cancelled");
  const now = performance.now();
  if (now > budget.deadline) throw { code: "D1012", value: budget.timeoutMs, message: `Evaluation timeout after ${budget.timeoutMs} milliseconds` };
  if (now - budget.lastYield < YIELD_EVERY_MS) return undefined;
  return new Promise<void>((resolve, reject) => setImmediate(() => {
    budget.lastYield = performance.now();
    if (budget.signal?.aborted) reject(budget.signal.reason ?? new Error("cancelled"));
    else resolve();
  }));
}

/** The built-in `$pad`, reached through an expression of its own (JSONata does not export it). */
const builtinPad = jsonata("$pad($s, $w, $c)");

/** `$pad` with its result capped at MAX_PAD_WIDTH characters. */
async function boundedPad(str: unknown, width: number, char?: string): Promise<unknown> {
  if (Math.abs(width) > MAX_PAD_WIDTH) {
    throw new Error(`$pad: a width of ${Math.abs(width)} is more than the limit of ${MAX_PAD_WIDTH} characters`);
  }
  return builtinPad.evaluate(undefined, { s: str, w: width, c: char });
}

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
  expr.assign(ENTRY_HOOK as unknown as string, onEvaluationStep);
  expr.registerFunction("pad", boundedPad, "<s-ns?:s>");
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
  const now = performance.now();
  const budget: Budget = {
    deadline: opts.timeoutMs > 0 ? now + opts.timeoutMs : Infinity, timeoutMs: opts.timeoutMs, signal: opts.signal, steps: 0, lastYield: now,
  };
  try {
    return await expr.evaluate(data, { ...data, [BUDGET]: budget });
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
