/**
 * Dify's Workflow App API shapes, made from Flowdeck's stored runs and events: the blocking
 * reply / run detail, and the streaming events. Pure functions; the handlers in dify.ts
 * read the run and hand it here.
 */
import { createHash } from "node:crypto";
import type { WorkflowDefinition } from "../engine";
import type { RunDoc } from "../schemas/api-runs";
import type { RunEventFrame } from "../schemas/run";

/** Dify's run states: Flowdeck's queued is still "running", cancelled is "stopped". */
export type DifyStatus = "running" | "succeeded" | "failed" | "stopped";

export function difyStatus(status: string): DifyStatus {
  if (status === "succeeded" || status === "failed") return status;
  if (status === "cancelled") return "stopped";
  return "running";
}

/** Dify's timestamps are whole Unix seconds. */
export const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

const seconds = (ms: number | null | undefined): number | null => (ms == null ? null : ms / 1000);

/** Dify's `error` is one string; Flowdeck's names the code and the failing step. */
export function difyError(error: { code: string; message: string; step_id?: string | null } | null | undefined): string | null {
  if (!error) return null;
  return error.step_id ? `${error.message} (step '${error.step_id}', ${error.code})` : `${error.message} (${error.code})`;
}

/** What the blocking reply's `data` and the run detail share. */
function runData(doc: RunDoc) {
  const finished = difyStatus(doc.status) !== "running";
  return {
    id: doc.id,
    workflow_id: doc.workflow.uuid,
    status: difyStatus(doc.status),
    // Dify gives an object once the run has ended (empty when it produced nothing).
    outputs: finished ? (doc.outputs ?? {}) : null,
    error: difyError(doc.error),
    elapsed_time: seconds(doc.elapsed_ms) ?? (Date.now() - Date.parse(doc.created_at)) / 1000,
    total_tokens: doc.total_tokens,
    total_steps: doc.total_steps,
    created_at: unixSeconds(doc.created_at),
    finished_at: doc.finished_at ? unixSeconds(doc.finished_at) : null,
  };
}

/** The blocking answer of POST /workflows/run (task and run share the run's UUID). */
export function blockingReply(doc: RunDoc) {
  return { task_id: doc.id, workflow_run_id: doc.id, data: runData(doc) };
}

/** GET /workflows/run/{id}: the run, with its inputs as a JSON string (as Dify documents it). */
export function runDetail(doc: RunDoc) {
  const { id, workflow_id, status, outputs, error, total_steps, total_tokens, created_at, finished_at, elapsed_time } = runData(doc);
  return {
    id, workflow_id, status, inputs: JSON.stringify(doc.inputs), outputs, error,
    total_steps, total_tokens, created_at, finished_at, elapsed_time,
  };
}

/** A UUID-shaped id that stays the same for one step of one run (Dify gives each node execution an id). */
export function nodeExecutionId(runUuid: string, stepId: string): string {
  const h = createHash("sha256").update(`${runUuid}\u0000${stepId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Dify's node outputs are an object; a step that returned a plain value gets it under `output`. */
function nodeOutputs(output: unknown): Record<string, unknown> | null {
  if (output === undefined) return null;
  return output && typeof output === "object" && !Array.isArray(output) ? (output as Record<string, unknown>) : { output };
}

export interface DifyStreamEvent {
  event: "workflow_started" | "node_started" | "text_chunk" | "node_finished" | "workflow_finished";
  task_id: string;
  workflow_run_id: string;
  data: Record<string, unknown>;
}

/**
 * Turns one run's stored event frames into Dify's stream events, in order. run_started, log
 * and progress frames have no Dify counterpart and are dropped (workflow_started comes from
 * `started()`), and so are steps that never started (skipped); a retried step is one node
 * (started once, finished once).
 */
export class DifyEventMapper {
  private readonly nodes = new Map<string, { id: string; index: number; createdAt: number }>();
  private readonly titles: Map<string, string>;
  finished = false;

  constructor(private readonly run: { uuid: string; workflowUuid: string; createdAt: string; inputs: Record<string, unknown> }, definition: WorkflowDefinition) {
    this.titles = new Map(definition.steps.map((s) => [s.id, s.name ?? s.id]));
  }

  private event(event: DifyStreamEvent["event"], data: Record<string, unknown>): DifyStreamEvent {
    return { event, task_id: this.run.uuid, workflow_run_id: this.run.uuid, data };
  }

  /** The first event, sent as soon as the run is accepted (even while it waits in the queue). */
  started(): DifyStreamEvent {
    return this.event("workflow_started", {
      id: this.run.uuid, workflow_id: this.run.workflowUuid, inputs: this.run.inputs, created_at: unixSeconds(this.run.createdAt),
    });
  }

  map(frame: RunEventFrame): DifyStreamEvent | null {
    const d = frame.data as Record<string, unknown>;
    const at = unixSeconds(frame.at);
    const stepId = String(d.step_id ?? "");
    switch (frame.type) {
      case "step_started": {
        if (this.nodes.has(stepId)) return null; // a retry of a node already started
        const node = { id: nodeExecutionId(this.run.uuid, stepId), index: this.nodes.size + 1, createdAt: at };
        this.nodes.set(stepId, node);
        return this.event("node_started", {
          id: node.id, node_id: stepId, node_type: d.kind, title: this.titles.get(stepId) ?? stepId,
          index: node.index, predecessor_node_id: null, inputs: null, created_at: at,
        });
      }
      case "text_chunk":
        return this.event("text_chunk", { text: d.text, from_variable_selector: [stepId, "text"] });
      case "step_finished": {
        const node = this.nodes.get(stepId);
        if (!node) return null; // skipped without starting
        const error = d.error as { code: string; message: string } | undefined;
        return this.event("node_finished", {
          id: node.id, node_id: stepId, node_type: d.kind, title: this.titles.get(stepId) ?? stepId,
          index: node.index, predecessor_node_id: null, inputs: null, process_data: null,
          outputs: nodeOutputs(d.output), status: difyStatus(String(d.status)), error: difyError(error),
          elapsed_time: seconds(d.duration_ms as number | undefined) ?? 0,
          execution_metadata: { total_tokens: (d.tokens as number | undefined) ?? 0 },
          created_at: node.createdAt, finished_at: at,
        });
      }
      case "run_finished": {
        this.finished = true;
        const status = difyStatus(String(d.status));
        return this.event("workflow_finished", {
          id: this.run.uuid, workflow_id: this.run.workflowUuid, status,
          outputs: (d.outputs as Record<string, unknown> | undefined) ?? {},
          error: difyError(d.error as { code: string; message: string; step_id?: string } | undefined),
          elapsed_time: seconds(d.duration_ms as number | undefined) ?? 0,
          total_tokens: d.total_tokens ?? 0, total_steps: d.total_steps ?? 0,
          created_at: unixSeconds(this.run.createdAt), finished_at: at,
        });
      }
      default:
        return null;
    }
  }

  /** The closing event made from the stored run, for a stream whose run_finished frame was not seen. */
  finishFrom(doc: RunDoc): DifyStreamEvent {
    this.finished = true;
    const data = runData(doc);
    return this.event("workflow_finished", { ...data, outputs: data.outputs ?? {} });
  }
}

/** One SSE frame as Dify writes it: a `data:` line only, the event name inside the JSON. */
export const sseData = (event: DifyStreamEvent): string => `data: ${JSON.stringify(event)}\n\n`;
