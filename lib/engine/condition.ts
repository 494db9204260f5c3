/**
 * Conditions (a step's `if`, a branch's `when`). Two forms:
 * - a template such as `{{ inputs.send_email }}`: false when it renders empty, "false", "0",
 *   "null" or "undefined";
 * - anything else is a JSONata expression over `inputs`, `steps` (and `item`, `index` inside a
 *   map), e.g. `steps.stats.output.words > 500 and inputs.mode = "full"`, using JSONata's
 *   truthiness (empty results, "", 0, false and null are false).
 */
import { evaluateJsonata, jsonataSyntaxError } from "./jsonata";
import { isFalsyText, renderTemplate, type TemplateScope } from "./template";

/** Whether a condition is written as a template (rather than as JSONata). */
export function isTemplateCondition(condition: string): boolean {
  return condition.includes("{{");
}

/** The syntax problem of a condition, or null. */
export function conditionSyntaxError(condition: string): string | null {
  if (condition.trim() === "") return "A condition cannot be empty";
  return isTemplateCondition(condition) ? null : jsonataSyntaxError(condition);
}

/** Evaluates a condition to true or false. Throws a StepError (code `condition_error`) on evaluation errors. */
export async function evaluateCondition(
  condition: string,
  scope: TemplateScope,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<boolean> {
  if (isTemplateCondition(condition)) return !isFalsyText(renderTemplate(condition, scope));
  const data: Record<string, unknown> = { inputs: scope.inputs ?? {}, steps: scope.steps ?? {} };
  if (scope.item !== undefined) Object.assign(data, { item: scope.item, index: scope.index });
  const value = await evaluateJsonata(condition, data, { ...opts, errorCode: "condition_error" });
  return jsonataTruthy(value);
}

/** JSONata's boolean cast ($boolean): arrays are true when any member is. */
function jsonataTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(jsonataTruthy);
  if (typeof value === "string") return value.length > 0;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "boolean") return value;
  if (typeof value === "function") return false;
  return Object.keys(value as object).length > 0;
}
