/** The contract between the engine and a step kind. */
import type { z } from "zod";
import type { FileRef } from "../inputs";

/** What the host supplies to the engine (the engine itself does no I/O of its own). */
export interface EnginePorts {
  /** The bytes of an uploaded file. */
  readFile(ref: FileRef, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Outbound HTTP with the host's network rule applied (public addresses only, unless
   * allowlisted; see lib/net). Same contract as the WHATWG fetch; the signal must abort it.
   */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** The plaintext of a workspace secret, or null when there is none by that name. */
  getSecret(name: string): Promise<string | null>;
}

/**
 * The values a step can read: run inputs, outputs of finished steps, the run id, and inside
 * a map step the current `item` and its `index`.
 */
export interface StepScope {
  inputs: Record<string, unknown>;
  steps: Record<string, { output: unknown }>;
  run?: { id: string };
  item?: unknown;
  index?: number;
}

/** Events a step may emit while it runs (the engine adds step_id). */
export type StepEmittedEvent =
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; message: string }
  | { type: "text_chunk"; text: string }
  | { type: "progress"; fraction: number; message?: string };

/** Everything a step kind gets for one attempt. Treat `scope` as read-only. */
export interface StepContext<Config = unknown> {
  stepId: string;
  /** The step's config, parsed by the kind's configSchema (defaults applied). */
  config: Config;
  scope: StepScope;
  /** Aborts on the step's timeout or when the run is cancelled or fails. */
  signal: AbortSignal;
  /** The step's time limit for this attempt, in ms. */
  timeoutMs: number;
  emit(event: StepEmittedEvent): void;
  ports: EnginePorts;
  addTokens(n: number): void;
  /**
   * Runs a list of nested steps (one map iteration) as a small workflow: same inputs, the
   * outer steps' outputs, plus `item`/`index`. Inner events come back through `onEvent`.
   */
  runNested(steps: unknown[], extra: { item: unknown; index: number }, opts: NestedRunOptions): Promise<NestedOutcome>;
}

/** Options of StepContext.runNested. */
export interface NestedRunOptions {
  signal: AbortSignal;
  /** Most inner steps at once (default 4). */
  maxConcurrency?: number;
  /** Logs and text of inner steps, for the outer step to forward as it sees fit. */
  onEvent?(event: { type: "log"; step_id: string; level: "debug" | "info" | "warn" | "error"; message: string } | { type: "text_chunk"; step_id: string; text: string }): void;
}

/** How a nested run ended. */
export type NestedOutcome =
  | { ok: true; stepOutputs: Record<string, unknown> }
  | { ok: false; code: string; message: string; step_id?: string };

/** A kind of step: its config schema and how to run it. The returned value is the output. */
export interface StepKind<Config = any> {
  kind: string;
  configSchema: z.ZodType<Config>;
  run(ctx: StepContext<Config>): Promise<unknown>;
  /**
   * The step reaches the outside world (a request, a paid model call): repeating it after a
   * crash would repeat a side effect or a cost. The host stores such a step's result before
   * its dependants start; pure steps (templates, code, transforms…) are simply re-run on
   * resume, so their results can be written in the next batch.
   */
  durable?: boolean;
  /**
   * Steps this step decides about (branch): they wait for it, and the ids listed in its
   * output's `skipped` array are marked skipped instead of run. Reads the raw config.
   */
  gates?(config: unknown): string[];
  /** Nested steps this step runs (map), validated at publish as a sub-workflow with extra template roots. */
  nested?(config: unknown): { steps: unknown; roots: string[] } | null;
}

/**
 * An error with a machine-readable code. Codes the engine treats specially: "cancelled" and
 * "validation" are never retried; "timeout" is used for time limits.
 */
export class StepError extends Error {
  /** False when another attempt cannot help (bad configuration, a refused key, a 4xx). */
  readonly retryable: boolean;

  constructor(
    readonly code: string,
    message: string,
    options: { retryable?: boolean } = {},
  ) {
    super(message);
    this.name = "StepError";
    this.retryable = options.retryable ?? true;
  }
}

/** Helper for typed kind definitions. */
export function defineStepKind<Config>(kind: StepKind<Config>): StepKind<Config> {
  return kind;
}
