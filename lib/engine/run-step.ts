/**
 * Runs one step to completion: config parse, attempts with a time limit each, retries with
 * exponential backoff. Emits step_started per attempt and log/text/progress while running;
 * the caller emits step_finished.
 */
import { DEFAULT_RETRY_BACKOFF_MS, DEFAULT_TIMEOUT_MS, type StepSpec } from "./definition";
import type { EngineEvent } from "./events";
import { getStepKind } from "./steps";
import {
  StepError, type EnginePorts, type StepKind, type NestedOutcome, type NestedRunOptions, type StepContext, type StepEmittedEvent, type StepScope,
} from "./steps/types";
import { clipText } from "../text/clip";

/** The result of a step after all its attempts. */
export type StepResult =
  | { ok: true; output: unknown; attempts: number; tokens: number }
  | { ok: false; code: string; message: string; attempts: number; tokens: number; retryable?: boolean };

/** What runStep needs from the run. */
export interface StepRunEnv {
  scope: StepScope;
  ports: EnginePorts;
  /** Aborts when the run is cancelled or has failed; its reason is a StepError. */
  runSignal: AbortSignal;
  /** Awaited emit of engine events. */
  emit(event: EngineEvent): Promise<void>;
  /** Fire-and-forget emit for events a step produces while it runs. */
  emitLater(event: EngineEvent): void;
  addTokens(n: number): void;
  /** Runs nested steps (map); reports the tokens they used alongside the outcome. */
  runNested(steps: unknown[], extra: { item: unknown; index: number }, opts: NestedRunOptions): Promise<NestedOutcome & { tokens: number }>;
}

/** Codes that a retry cannot fix. */
const NOT_RETRIED = new Set(["cancelled", "validation", "output_too_large"]);

/**
 * The largest output a step may produce, as JSON characters. Outputs are stored, streamed to
 * every viewer and handed to the steps after; beyond this a step fails instead.
 */
export const MAX_STEP_OUTPUT_CHARS = 16 * 1024 * 1024;

/** The output's size as JSON characters (strings by their length: no copy of a large one). */
function outputChars(output: unknown): number {
  if (output == null || typeof output === "number" || typeof output === "boolean") return 8;
  if (typeof output === "string") return output.length + 2;
  return JSON.stringify(output)?.length ?? 0;
}

/** Runs one step (all attempts). Never throws except when the event sink throws. */
export async function runStep(step: StepSpec, env: StepRunEnv): Promise<StepResult> {
  let tokens = 0;
  const kind = getStepKind(step.kind);
  if (!kind) return { ok: false, code: "validation", message: `Unknown step kind '${clipText(String(step.kind), 60)}'`, attempts: 0, tokens };
  const parsed = parseConfig(kind, step);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` (config.${issue.path.join(".")})` : "";
    return { ok: false, code: "validation", message: `Invalid config for step '${step.id}': ${issue.message}${where}`, attempts: 0, tokens };
  }

  const retries = step.retries ?? 0;
  const timeoutMs = step.timeout_ms ?? DEFAULT_TIMEOUT_MS;
  const backoffMs = step.retry_backoff_ms ?? DEFAULT_RETRY_BACKOFF_MS;
  const addTokens = (count: number) => {
    const n = Math.round(count);
    if (!Number.isFinite(n) || n <= 0) return;
    tokens += n;
    env.addTokens(n);
  };

  for (let attempt = 1; ; attempt++) {
    if (env.runSignal.aborted) return { ...errorInfo(env.runSignal.reason), ok: false, attempts: attempt - 1, tokens };
    await env.emit({ type: "step_started", step_id: step.id, kind: step.kind, attempt });
    const result = await attemptStep(step, kind, parsed.data, timeoutMs, addTokens, env);
    if (result.ok) {
      const size = outputChars(result.output);
      if (size <= MAX_STEP_OUTPUT_CHARS) return { ok: true, output: result.output, attempts: attempt, tokens };
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      return {
        ok: false, code: "output_too_large", attempts: attempt, tokens,
        message: `Step output is ${mb(size)} MB as JSON; the limit is ${mb(MAX_STEP_OUTPUT_CHARS)} MB`,
      };
    }
    if (attempt > retries || NOT_RETRIED.has(result.code) || result.retryable === false || env.runSignal.aborted) {
      return { ok: false, code: result.code, message: result.message, attempts: attempt, tokens };
    }
    const delay = backoffMs * 2 ** (attempt - 1);
    env.emitLater({
      type: "log", step_id: step.id, level: "warn",
      message: `Attempt ${attempt} failed (${result.code}: ${result.message}); retrying in ${delay} ms`,
    });
    await sleep(delay, env.runSignal);
  }
}

type AttemptResult = { ok: true; output: unknown } | { ok: false; code: string; message: string; retryable?: boolean };

/** One attempt, bounded by its time limit and the run signal even if the kind ignores its signal. */
async function attemptStep(
  step: StepSpec,
  kind: NonNullable<ReturnType<typeof getStepKind>>,
  config: unknown,
  timeoutMs: number,
  addTokens: (n: number) => void,
  env: StepRunEnv,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const signal = controller.signal;
  let finished = false;
  const onRunAbort = () => controller.abort(env.runSignal.reason);
  env.runSignal.addEventListener("abort", onRunAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new StepError("timeout", `Step exceeded its time limit of ${timeoutMs} ms`)),
    timeoutMs,
  );
  const stopped = new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  stopped.catch(() => {}); // observed through the race; this keeps a late abort from going unhandled

  const ctx: StepContext = {
    stepId: step.id,
    config,
    scope: env.scope,
    signal,
    timeoutMs,
    ports: env.ports,
    addTokens: (n) => {
      if (!finished) addTokens(n);
    },
    runNested: async (steps, extra, opts) => {
      const { tokens: used, ...outcome } = await env.runNested(steps, extra, opts);
      if (!finished) addTokens(used);
      return outcome;
    },
    emit: (event: StepEmittedEvent) => {
      if (finished) return; // a step that outlived its attempt is not heard from again
      if (event.type === "progress") {
        const fraction = Math.min(1, Math.max(0, Number(event.fraction) || 0));
        env.emitLater({ type: "progress", step_id: step.id, fraction, ...(event.message !== undefined && { message: event.message }) });
      } else if (event.type === "log") {
        env.emitLater({ type: "log", step_id: step.id, level: event.level, message: event.message });
      } else {
        env.emitLater({ type: "text_chunk", step_id: step.id, text: event.text });
      }
    },
  };

  try {
    const output = await Promise.race([kind.run(ctx), stopped]);
    return { ok: true, output };
  } catch (error) {
    // An abort decides the outcome even if the kind then failed in its own way.
    return { ok: false, ...errorInfo(signal.aborted ? signal.reason : error) };
  } finally {
    finished = true;
    clearTimeout(timer);
    env.runSignal.removeEventListener("abort", onRunAbort);
  }
}

/** A step's parsed config, kept per step object (definitions are immutable once validated). */
const configCache = new WeakMap<StepSpec, ReturnType<StepKind["configSchema"]["safeParse"]>>();

function parseConfig(kind: StepKind, step: StepSpec) {
  let parsed = configCache.get(step);
  if (!parsed) {
    parsed = kind.configSchema.safeParse(step.config);
    configCache.set(step, parsed);
  }
  return parsed;
}

/** Code and message of anything thrown by a step. */
export function errorInfo(error: unknown): { code: string; message: string; retryable?: boolean } {
  if (error instanceof StepError) return { code: error.code, message: error.message, ...(!error.retryable && { retryable: false }) };
  if (error instanceof Error) return { code: "step_error", message: error.message || error.name };
  return { code: "step_error", message: String(error) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
