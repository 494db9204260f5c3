/**
 * Code step: user JavaScript, run as an async function body inside the QuickJS sandbox with
 * `inputs`, `steps` (copies) and a `console` whose lines become log events.
 */
import { z } from "zod";
import { getSandboxPool } from "../sandbox/pool";
import { defineStepKind, StepError } from "./types";

/** Default and largest memory limit of a code step, in MB. */
export const DEFAULT_CODE_MEMORY_MB = 32;
export const MAX_CODE_MEMORY_MB = 256;

// Only used to check syntax at publish time: constructing a function parses but never runs it.
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (body: string) => unknown;

const configSchema = z.object({
  code: z.string().superRefine((code, ctx) => {
    try {
      new AsyncFunction(code);
    } catch (error) {
      if (error instanceof SyntaxError) ctx.addIssue({ code: "custom", message: `JavaScript syntax error: ${error.message}` });
    }
  }),
  memory_mb: z.number().int().min(1).max(MAX_CODE_MEMORY_MB).default(DEFAULT_CODE_MEMORY_MB),
});

/** The "code" step kind. */
export const codeStep = defineStepKind<z.output<typeof configSchema>>({
  kind: "code",
  configSchema,
  async run({ config, scope, signal, timeoutMs, emit }) {
    const result = await getSandboxPool().run(
      {
        code: config.code,
        inputs: JSON.stringify(scope.inputs),
        steps: JSON.stringify(scope.steps),
        ...(scope.item !== undefined && { extra: JSON.stringify({ item: scope.item, index: scope.index }) }),
        timeoutMs,
        memoryMb: config.memory_mb,
      },
      { signal, onLog: (level, message) => emit({ type: "log", level, message }) },
    );
    if (!result.ok) throw new StepError(result.code, result.message);
    return JSON.parse(result.output);
  },
});
