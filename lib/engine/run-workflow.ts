/**
 * Executes a workflow definition: steps start as soon as their dependencies are done (up to
 * maxConcurrency at once), honouring conditions, time limits, retries, cancellation, and
 * resume from steps already finished. The definition is trusted (validated at publish).
 */
import { setMaxListeners } from "node:events";
import { evaluateCondition } from "./condition";
import { workflowDefinitionSchema, type WorkflowDefinition, type StepSpec } from "./definition";
import type { EngineEvent, RunStatus } from "./events";
import { planWorkflow } from "./planner";
import { errorInfo, runStep, type StepResult } from "./run-step";
import { getStepKind } from "./steps";
import { StepError, type EnginePorts, type NestedOutcome, type NestedRunOptions, type StepScope } from "./steps/types";
import { resolveValueTemplate } from "./template";

/** Time limit for evaluating one condition. */
const CONDITION_TIMEOUT_MS = 1_000;

/** Options of executeWorkflow. */
export interface ExecuteWorkflowOptions {
  definition: WorkflowDefinition;
  /** Validated inputs (see validateInputs). */
  inputs: Record<string, unknown>;
  /** Steps finished in an earlier attempt of this run: not re-run, their outputs are used. */
  completed?: Record<string, { output: unknown }>;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  /**
   * Aborting it pauses the run: no further step starts, the running ones finish, and then
   * the run resolves with `paused: true` and no run_finished (it can be resumed later from
   * its finished steps). Used to hand runs back on shutdown.
   */
  pause?: AbortSignal;
  /** Event sink; awaited for run/step lifecycle events (dependants start after step_finished). */
  emit: (event: EngineEvent) => void | Promise<void>;
  ports: EnginePorts;
  runId?: string;
  /** Most steps running at once (default 8). */
  maxConcurrency?: number;
  /** For nested runs (map): outer step outputs and the current item, visible to every step. */
  scope?: Pick<StepScope, "steps" | "item" | "index">;
}

/** How a run ended. */
export interface RunOutcome {
  status: RunStatus;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string; step_id?: string };
  durationMs: number;
  totalSteps: number;
  totalTokens: number;
  /** Output of every step that succeeded (including resumed ones). */
  stepOutputs: Record<string, unknown>;
  /** The run was paused before its end (see ExecuteWorkflowOptions.pause); status is then "cancelled". */
  paused?: boolean;
}

type StepState = "waiting" | "running" | "succeeded" | "skipped" | "failed" | "cancelled";

const nestedCache = new WeakMap<object, { ok: true; value: WorkflowDefinition } | { ok: false; message: string }>();

/** The nested steps of a map as a definition (defaults applied), parsed once per steps list. */
function nestedDefinition(steps: unknown[]) {
  let cached = nestedCache.get(steps);
  if (!cached) {
    const parsed = workflowDefinitionSchema.safeParse({ steps });
    cached = parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, message: `Invalid nested steps: ${parsed.error.issues[0]?.message ?? "unknown problem"}` };
    nestedCache.set(steps, cached);
  }
  return cached;
}

/** Runs a workflow to its end and reports the outcome. Rejects only if the event sink throws. */
export function executeWorkflow(options: ExecuteWorkflowOptions): Promise<RunOutcome> {
  return new WorkflowRun(options).start();
}

class WorkflowRun {
  private readonly startedAt = performance.now();
  private readonly steps: StepSpec[];
  private readonly plan: ReturnType<typeof planWorkflow>;
  private readonly scope: StepScope;
  private readonly state = new Map<string, StepState>();
  private readonly waitingOn = new Map<string, number>();
  private readonly ready: StepSpec[] = [];
  private readonly byId = new Map<string, StepSpec>();
  private readonly stepOutputs: Record<string, unknown> = {};
  /** Steps a branch decided against, with the reason to report. */
  private readonly skippedByBranch = new Map<string, string>();
  /** Aborted (with a StepError reason) when the run is cancelled or fails. */
  private readonly stop = new AbortController();
  private readonly maxConcurrency: number;
  private running = 0;
  private totalTokens = 0;
  private failure: { code: string; message: string; step_id?: string } | null = null;
  private sinkError: { error: unknown } | null = null;
  private resolveDone!: () => void;

  constructor(private readonly options: ExecuteWorkflowOptions) {
    this.steps = options.definition.steps;
    this.plan = planWorkflow(options.definition);
    this.scope = {
      inputs: options.inputs,
      steps: { ...options.scope?.steps },
      ...(options.runId !== undefined && { run: { id: options.runId } }),
      ...(options.scope && "item" in options.scope && { item: options.scope.item, index: options.scope.index }),
    };
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 8);
    // Every running step listens on the run's stop signal; many at once is expected, not a leak.
    setMaxListeners(0, this.stop.signal);
  }

  async start(): Promise<RunOutcome> {
    const { signal } = this.options;
    await this.emit({ type: "run_started", total_steps: this.steps.length });
    if (this.plan.cycle) {
      return this.finish({ code: "validation", message: `Steps form a dependency cycle: ${this.plan.cycle.join(" → ")}` });
    }

    const onCancel = () => this.halt(new StepError("cancelled", "The run was cancelled"));
    if (signal?.aborted) onCancel();
    else signal?.addEventListener("abort", onCancel, { once: true });
    // Pausing starts nothing new; pump() resolves once the running steps are done.
    const pause = this.options.pause;
    const onPause = () => this.pump();
    pause?.addEventListener("abort", onPause, { once: true });

    try {
      const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
      this.seed();
      this.pump();
      await done;
    } finally {
      signal?.removeEventListener("abort", onCancel);
      pause?.removeEventListener("abort", onPause);
    }
    if (pause?.aborted && !this.stop.signal.aborted && [...this.state.values()].some((s) => s === "waiting")) {
      if (this.sinkError) throw this.sinkError.error;
      return {
        status: "cancelled", paused: true, durationMs: Math.round(performance.now() - this.startedAt),
        totalSteps: this.steps.length, totalTokens: this.totalTokens, stepOutputs: this.stepOutputs,
      };
    }
    return this.finish(this.failure);
  }

  /** Marks resumed steps done and queues the steps whose dependencies are all done. */
  private seed(): void {
    const completed = this.options.completed ?? {};
    for (const step of this.steps) {
      this.byId.set(step.id, step);
      this.state.set(step.id, "waiting");
      this.waitingOn.set(step.id, this.plan.dependencies[step.id].length);
    }
    for (const id of this.plan.order) {
      if (!Object.hasOwn(completed, id) || !completed[id]) continue;
      const output = completed[id].output;
      this.state.set(id, "succeeded");
      this.scope.steps[id] = { output };
      this.stepOutputs[id] = output;
      this.noteBranchDecision(this.byId.get(id)!, output);
      for (const next of this.plan.dependents[id]) this.waitingOn.set(next, this.waitingOn.get(next)! - 1);
    }
    for (const step of this.steps) {
      if (this.state.get(step.id) === "waiting" && this.waitingOn.get(step.id) === 0) this.ready.push(step);
    }
  }

  /** Starts ready steps while there is room; resolves the run when nothing is left to do. */
  private pump(): void {
    while (!this.stop.signal.aborted && !this.options.pause?.aborted && this.running < this.maxConcurrency && this.ready.length > 0) {
      const step = this.ready.shift()!;
      this.running++;
      this.state.set(step.id, "running");
      this.execute(step).then(
        () => this.settled(step),
        (error) => {
          // Only the event sink throws here: stop everything and report it from start().
          this.sinkError ??= { error };
          this.halt(new StepError("cancelled", "The run stopped: its events could not be stored"));
          this.settled(step);
        },
      );
    }
    if (this.running === 0) this.resolveDone();
  }

  /** Releases the dependants of a succeeded or skipped step, then starts what is ready. */
  private settled(step: StepSpec): void {
    this.running--;
    const state = this.state.get(step.id);
    if (state === "succeeded" || state === "skipped") {
      for (const next of this.plan.dependents[step.id]) {
        const left = this.waitingOn.get(next)! - 1;
        this.waitingOn.set(next, left);
        if (left === 0 && this.state.get(next) === "waiting") this.ready.push(this.byId.get(next)!);
      }
    }
    this.pump();
  }

  /** One step from decision to step_finished (awaited before dependants are released). */
  private async execute(step: StepSpec): Promise<void> {
    const started = performance.now();
    let skipReason: string | null;
    try {
      skipReason = await this.skipReason(step);
    } catch (error) {
      const { code, message } = errorInfo(error);
      return this.failed(step, { ok: false, code, message: `Condition of step '${step.id}': ${message}`, attempts: 0, tokens: 0 }, started);
    }
    if (skipReason !== null) {
      this.state.set(step.id, "skipped");
      await this.emit({
        type: "step_finished", step_id: step.id, kind: step.kind, status: "skipped", reason: skipReason, duration_ms: 0, attempts: 0,
      });
      return;
    }
    const result: StepResult = await runStep(step, {
      scope: this.scope,
      ports: this.options.ports,
      runSignal: this.stop.signal,
      emit: (e) => this.emit(e),
      emitLater: (e) => this.emitLater(e),
      addTokens: (n) => {
        this.totalTokens += n;
      },
      runNested: (steps, extra, opts) => this.runNested(steps, extra, opts),
    });
    const duration_ms = Math.round(performance.now() - started);
    const tokens = result.tokens > 0 ? { tokens: result.tokens } : undefined;
    if (result.ok) {
      this.state.set(step.id, "succeeded");
      this.scope.steps[step.id] = { output: result.output };
      this.stepOutputs[step.id] = result.output;
      this.noteBranchDecision(step, result.output);
      await this.emit({
        type: "step_finished", step_id: step.id, kind: step.kind, status: "succeeded",
        output: result.output, duration_ms, attempts: result.attempts, ...tokens,
      });
      return;
    }
    await this.failed(step, result, started);
  }

  /** Records a step that did not succeed; a real failure stops the run. */
  private async failed(step: StepSpec, result: Extract<StepResult, { ok: false }>, started: number): Promise<void> {
    const duration_ms = Math.round(performance.now() - started);
    const tokens = result.tokens > 0 ? { tokens: result.tokens } : undefined;
    // A step stopped because the run was cancelled or another step failed is "cancelled".
    const status = result.code === "cancelled" && this.stop.signal.aborted ? "cancelled" : "failed";
    this.state.set(step.id, status);
    if (status === "failed") {
      this.halt(new StepError("cancelled", `Cancelled because step '${step.id}' failed`), {
        code: result.code, message: result.message, step_id: step.id,
      });
    }
    await this.emit({
      type: "step_finished", step_id: step.id, kind: step.kind, status,
      error: { code: result.code, message: result.message }, duration_ms, attempts: result.attempts, ...tokens,
    });
  }

  /**
   * Why a step is skipped, or null to run it: a branch took another path; a dependency was
   * skipped (with `join: any`, only when all were); or its condition is false.
   */
  private async skipReason(step: StepSpec): Promise<string | null> {
    const byBranch = this.skippedByBranch.get(step.id);
    if (byBranch) return byBranch;
    const deps = this.plan.dependencies[step.id];
    const skippedDeps = deps.filter((dep) => this.state.get(dep) === "skipped");
    if (skippedDeps.length > 0 && (step.join !== "any" || skippedDeps.length === deps.length)) {
      return `'${skippedDeps[0]}' was skipped`;
    }
    if (step.if !== undefined && !(await evaluateCondition(step.if, this.scope, { timeoutMs: CONDITION_TIMEOUT_MS, signal: this.stop.signal }))) {
      return "its condition was false";
    }
    return null;
  }

  /** A branch's output names the steps on the paths it did not take. */
  private noteBranchDecision(step: StepSpec, output: unknown): void {
    if (!getStepKind(step.kind)?.gates) return;
    const { skipped, path } = (output ?? {}) as { skipped?: unknown; path?: unknown };
    if (!Array.isArray(skipped)) return;
    for (const id of skipped) {
      if (typeof id === "string") this.skippedByBranch.set(id, `branch '${step.id}' took ${String(path ?? "another path")}`);
    }
  }

  /** One map iteration: the nested steps as a workflow of their own, sharing inputs, ports and outer outputs. */
  private async runNested(
    steps: unknown[],
    extra: { item: unknown; index: number },
    opts: NestedRunOptions,
  ): Promise<NestedOutcome & { tokens: number }> {
    const definition = nestedDefinition(steps);
    if (!definition.ok) return { ok: false, code: "validation", message: definition.message, tokens: 0 };
    const outcome = await executeWorkflow({
      definition: definition.value,
      inputs: this.options.inputs,
      signal: opts.signal,
      ports: this.options.ports,
      runId: this.options.runId,
      maxConcurrency: opts.maxConcurrency ?? 4,
      scope: { steps: this.scope.steps, item: extra.item, index: extra.index },
      emit: (event) => {
        if (event.type === "log" || event.type === "text_chunk") opts.onEvent?.(event);
      },
    });
    if (outcome.status === "succeeded") return { ok: true, stepOutputs: outcome.stepOutputs, tokens: outcome.totalTokens };
    const error = outcome.error ?? { code: "cancelled", message: "The item was cancelled" };
    return { ok: false, ...error, tokens: outcome.totalTokens };
  }

  /** Stops the run: no new steps, running ones aborted. The first reason wins. */
  private halt(reason: StepError, failure?: { code: string; message: string; step_id?: string }): void {
    if (this.stop.signal.aborted) return;
    this.failure = failure ?? { code: reason.code, message: reason.message };
    this.stop.abort(reason);
  }

  private async finish(failure: { code: string; message: string; step_id?: string } | null): Promise<RunOutcome> {
    if (this.sinkError) throw this.sinkError.error;
    const status: RunStatus = failure === null ? "succeeded" : failure.code === "cancelled" && !failure.step_id ? "cancelled" : "failed";
    let outputs: Record<string, unknown> | undefined;
    if (status === "succeeded") {
      outputs = {};
      for (const [name, tpl] of Object.entries(this.options.definition.outputs ?? {})) {
        outputs[name] = resolveValueTemplate(tpl, this.scope) ?? null;
      }
    }
    const durationMs = Math.round(performance.now() - this.startedAt);
    const totalSteps = this.steps.length;
    const error = failure ?? undefined;
    await this.emit({
      type: "run_finished", status, ...(outputs && { outputs }), ...(error && { error }),
      duration_ms: durationMs, total_steps: totalSteps, total_tokens: this.totalTokens,
    });
    return { status, outputs, error, durationMs, totalSteps, totalTokens: this.totalTokens, stepOutputs: this.stepOutputs };
  }

  /** Awaited emit; a sink that returns nothing costs no extra tick. */
  private emit(event: EngineEvent): Promise<void> {
    const r = this.options.emit(event);
    return r instanceof Promise ? r : Promise.resolve();
  }

  /** Emit for events produced inside a step: not awaited; a sink failure is kept for the end. */
  private emitLater(event: EngineEvent): void {
    try {
      const r = this.options.emit(event);
      if (r instanceof Promise) r.catch((error) => (this.sinkError ??= { error }));
    } catch (error) {
      this.sinkError ??= { error };
    }
  }
}
