/**
 * Executes a workflow definition: steps start as soon as their dependencies are done (up to
 * maxConcurrency at once), honouring conditions, time limits, retries, cancellation, and
 * resume from steps already finished. The definition is trusted (validated at publish).
 */
import type { WorkflowDefinition, StepSpec } from "./definition";
import type { EngineEvent, RunStatus } from "./events";
import { planWorkflow } from "./planner";
import { runStep, type StepResult } from "./run-step";
import { StepError, type EnginePorts, type StepScope } from "./steps/types";
import { isFalsyText, renderTemplate, resolveValueTemplate } from "./template";

/** Options of executeWorkflow. */
export interface ExecuteWorkflowOptions {
  definition: WorkflowDefinition;
  /** Validated inputs (see validateInputs). */
  inputs: Record<string, unknown>;
  /** Steps finished in an earlier attempt of this run: not re-run, their outputs are used. */
  completed?: Record<string, { output: unknown }>;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  /** Event sink; awaited for run/step lifecycle events (dependants start after step_finished). */
  emit: (event: EngineEvent) => void | Promise<void>;
  ports: EnginePorts;
  runId?: string;
  /** Most steps running at once (default 8). */
  maxConcurrency?: number;
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
}

type StepState = "waiting" | "running" | "succeeded" | "skipped" | "failed" | "cancelled";

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
    this.scope = { inputs: options.inputs, steps: {}, ...(options.runId !== undefined && { run: { id: options.runId } }) };
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 8);
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

    try {
      const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
      this.seed();
      this.pump();
      await done;
    } finally {
      signal?.removeEventListener("abort", onCancel);
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
      for (const next of this.plan.dependents[id]) this.waitingOn.set(next, this.waitingOn.get(next)! - 1);
    }
    for (const step of this.steps) {
      if (this.state.get(step.id) === "waiting" && this.waitingOn.get(step.id) === 0) this.ready.push(step);
    }
  }

  /** Starts ready steps while there is room; resolves the run when nothing is left to do. */
  private pump(): void {
    while (!this.stop.signal.aborted && this.running < this.maxConcurrency && this.ready.length > 0) {
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
    if (this.shouldSkip(step)) {
      this.state.set(step.id, "skipped");
      await this.emit({ type: "step_finished", step_id: step.id, kind: step.kind, status: "skipped", duration_ms: 0, attempts: 0 });
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
    });
    const duration_ms = Math.round(performance.now() - started);
    const tokens = result.tokens > 0 ? { tokens: result.tokens } : undefined;
    if (result.ok) {
      this.state.set(step.id, "succeeded");
      this.scope.steps[step.id] = { output: result.output };
      this.stepOutputs[step.id] = result.output;
      await this.emit({
        type: "step_finished", step_id: step.id, kind: step.kind, status: "succeeded",
        output: result.output, duration_ms, attempts: result.attempts, ...tokens,
      });
      return;
    }
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

  /** Skipped when a dependency was skipped or the condition renders falsy. */
  private shouldSkip(step: StepSpec): boolean {
    for (const dep of this.plan.dependencies[step.id]) if (this.state.get(dep) === "skipped") return true;
    return step.if !== undefined && isFalsyText(renderTemplate(step.if, this.scope));
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
