/** Transform step: a JSONata expression over `{ inputs, steps }` (also bound as `$inputs`, `$steps`). */
import { z } from "zod";
import { evaluateJsonata, jsonataSyntaxError, toPlainJson } from "../jsonata";
import { defineStepKind } from "./types";

const configSchema = z.object({
  expression: z.string().min(1).superRefine((expression, ctx) => {
    const problem = jsonataSyntaxError(expression);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
});

/** The "transform" step kind. */
export const transformStep = defineStepKind<z.output<typeof configSchema>>({
  kind: "transform",
  configSchema,
  async run({ config, scope, signal, timeoutMs }) {
    const data: Record<string, unknown> = { inputs: scope.inputs, steps: scope.steps };
    if (scope.item !== undefined) Object.assign(data, { item: scope.item, index: scope.index });
    const result = await evaluateJsonata(config.expression, data, { timeoutMs, signal });
    return toPlainJson(result);
  },
});
