/**
 * Vellum's response shapes, built from Flowdeck's stored runs and events: typed values,
 * stable ids, error codes, and the translation of a run's event log into Vellum's stream
 * events. Pure functions — lib/compat/vellum.ts does the I/O. The official client checks
 * every field of these shapes (ids are strings, `ts` ISO strings, enums exact).
 */
import { createHash } from "node:crypto";
import type { RunEventFrame } from "../schemas/run";

/** A value with Vellum's type tag (what outputs, array items and node outputs carry). */
export type VellumTypedValue =
  | { type: "STRING"; value: string }
  | { type: "NUMBER"; value: number }
  | { type: "JSON"; value: unknown }
  | { type: "CHAT_HISTORY"; value: ChatMessage[] }
  | { type: "ARRAY"; value: VellumTypedValue[] };

interface ChatMessage {
  role: "SYSTEM" | "ASSISTANT" | "USER" | "FUNCTION";
  text?: string | null;
  source?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface VellumOutput {
  id: string;
  name: string;
  type: VellumTypedValue["type"];
  value: unknown;
}

export type WorkflowErrorCode =
  | "WORKFLOW_CANCELLED" | "WORKFLOW_TIMEOUT" | "NODE_EXECUTION" | "NODE_CANCELLED" | "NODE_TIMEOUT"
  | "LLM_PROVIDER" | "PROVIDER_CREDENTIALS_UNAVAILABLE" | "INVALID_INPUTS" | "INTERNAL_SERVER_ERROR";

export interface VellumWorkflowError {
  message: string;
  code: WorkflowErrorCode;
  /** Flowdeck's own error code and failing step, so nothing is lost in the mapping. */
  raw_data: { code: string; step_id: string | null };
}

/** A Flowdeck run or step error. */
export interface FlowdeckError {
  code: string;
  message: string;
  step_id?: string | null;
}

/**
 * A UUID-shaped id derived from `parts`: the same run, output or event always gets the same
 * id, so a replayed stream and a later status read agree with what was first sent.
 */
export function derivedId(...parts: (string | number)[]): string {
  const h = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const CHAT_ROLES = new Set(["SYSTEM", "ASSISTANT", "USER", "FUNCTION"]);
const CHAT_KEYS = new Set(["role", "text", "source", "metadata"]);

/** A list every item of which is a plain-text Vellum chat message. */
function isChatHistory(value: unknown[]): value is ChatMessage[] {
  return value.length > 0 && value.every((m) => {
    if (!m || typeof m !== "object" || Array.isArray(m)) return false;
    const msg = m as Record<string, unknown>;
    return CHAT_ROLES.has(msg.role as string)
      && Object.keys(msg).every((k) => CHAT_KEYS.has(k))
      && (msg.text == null || typeof msg.text === "string")
      && (msg.source == null || typeof msg.source === "string")
      && (msg.metadata == null || (typeof msg.metadata === "object" && !Array.isArray(msg.metadata)));
  });
}

/** Vellum's type for a JS value: text, number, chat history, array (items typed too), else JSON. */
export function typedValue(value: unknown): VellumTypedValue {
  if (typeof value === "string") return { type: "STRING", value };
  if (typeof value === "number" && Number.isFinite(value)) return { type: "NUMBER", value };
  if (Array.isArray(value)) {
    return isChatHistory(value) ? { type: "CHAT_HISTORY", value } : { type: "ARRAY", value: value.map(typedValue) };
  }
  return { type: "JSON", value: value === undefined ? null : value };
}

/** Output ids are stable per workflow and output name (like a deployment's output variables). */
export function outputId(workflowUuid: string, name: string): string {
  return derivedId(workflowUuid, "output", name);
}

/** A run's outputs as Vellum's typed list, in the workflow's order. */
export function typedOutputs(workflowUuid: string, outputs: Record<string, unknown> | null | undefined): VellumOutput[] {
  return Object.entries(outputs ?? {}).map(([name, value]) => ({ id: outputId(workflowUuid, name), name, ...typedValue(value) }));
}

/** Vellum's error code for a Flowdeck error. */
export function errorCodeOf(error: FlowdeckError): WorkflowErrorCode {
  const { code } = error;
  const inStep = Boolean(error.step_id);
  if (code === "cancelled") return inStep ? "NODE_CANCELLED" : "WORKFLOW_CANCELLED";
  if (code === "timeout" || code.endsWith("_timeout")) return inStep ? "NODE_TIMEOUT" : "WORKFLOW_TIMEOUT";
  if (code === "llm_not_configured") return "PROVIDER_CREDENTIALS_UNAVAILABLE";
  if (code.startsWith("llm_")) return "LLM_PROVIDER";
  if (inStep) return "NODE_EXECUTION";
  return "INTERNAL_SERVER_ERROR";
}

export function workflowError(error: FlowdeckError | null | undefined): VellumWorkflowError {
  const e = error ?? { code: "internal_error", message: "The run ended without a result" };
  return { message: e.message, code: errorCodeOf(e), raw_data: { code: e.code, step_id: e.step_id ?? null } };
}

/** The terminal result event (the `data` of execute-workflow, the last WORKFLOW stream event). */
export function resultEvent(
  executionId: string,
  workflowUuid: string,
  end: { status: string; ts: string; outputs?: Record<string, unknown> | null; error?: FlowdeckError | null },
) {
  const id = derivedId(executionId, "workflow", "end");
  if (end.status === "succeeded") {
    return { id, state: "FULFILLED" as const, ts: end.ts, outputs: typedOutputs(workflowUuid, end.outputs) };
  }
  return { id, state: "REJECTED" as const, ts: end.ts, error: workflowError(end.error) };
}

/** Vellum's execution status for a Flowdeck run status. */
export function executionStatusOf(status: string): "INITIATED" | "STREAMING" | "FULFILLED" | "REJECTED" {
  if (status === "succeeded") return "FULFILLED";
  if (status === "failed" || status === "cancelled") return "REJECTED";
  return status === "running" ? "STREAMING" : "INITIATED";
}

export type StreamEventType = "WORKFLOW" | "NODE";

export interface StreamContext {
  executionId: string;
  externalId: string | null;
  workflowUuid: string;
  /** Which events the caller asked for (Vellum's default: WORKFLOW only). */
  types: ReadonlySet<StreamEventType>;
  /** Output names whose value is exactly a step's text: that step's chunks stream as their deltas. */
  streamedOutputs: Map<string, string[]>;
}

/**
 * The outputs whose template is exactly one step's output (or its `.text`): a text chunk of
 * that step is a delta of those outputs.
 */
export function streamedOutputsOf(outputs: Record<string, string>): Map<string, string[]> {
  const byStep = new Map<string, string[]>();
  for (const [name, template] of Object.entries(outputs)) {
    const step = /^\s*\{\{\s*steps\.([A-Za-z_][\w-]*)\.output(?:\.text)?\s*\}\}\s*$/.exec(template)?.[1];
    if (step) byStep.set(step, [...(byStep.get(step) ?? []), name]);
  }
  return byStep;
}

type Json = Record<string, unknown>;

/**
 * Follows one run's frames and turns each into the Vellum stream events it stands for:
 * run_started → WORKFLOW INITIATED; step_started/finished → NODE INITIATED/FULFILLED/REJECTED;
 * text_chunk → WORKFLOW STREAMING (output delta) and NODE STREAMING; run_finished → one
 * WORKFLOW STREAMING per output (output state FULFILLED), then WORKFLOW FULFILLED or REJECTED.
 */
export class VellumStreamTranslator {
  private initiated = false;
  /** The attempt each step is on (a streaming chunk belongs to it). */
  private attempts = new Map<string, number>();

  constructor(private readonly ctx: StreamContext) {}

  private envelope(type: StreamEventType, data: Json): Json {
    return { execution_id: this.ctx.executionId, external_id: this.ctx.externalId, type, data };
  }

  private workflow(data: Json, out: Json[]) {
    if (this.ctx.types.has("WORKFLOW")) out.push(this.envelope("WORKFLOW", data));
  }

  private node(data: Json, out: Json[]) {
    if (this.ctx.types.has("NODE")) out.push(this.envelope("NODE", data));
  }

  /** INITIATED comes first even if the run ended before it started (cancelled while queued). */
  private initiate(ts: string, out: Json[]) {
    if (this.initiated) return;
    this.initiated = true;
    this.workflow({ id: derivedId(this.ctx.executionId, "workflow", "start"), state: "INITIATED", ts }, out);
  }

  /** node_id is the step id itself (readable); node_result_id names one attempt of it in this run. */
  private nodeIds(stepId: string, attempt: number) {
    return { node_id: stepId, node_result_id: derivedId(this.ctx.executionId, "node", stepId, attempt) };
  }

  /** The Vellum events for one stored frame (possibly none). */
  translate(frame: RunEventFrame): Json[] {
    const out: Json[] = [];
    const d = frame.data as Json;
    const ts = frame.at;
    const eventId = (i = 0) => derivedId(this.ctx.executionId, "event", frame.seq, i);
    const stepId = String(d.step_id ?? "");
    switch (frame.type) {
      case "run_started":
        this.initiate(ts, out);
        break;
      case "step_started":
        this.initiate(ts, out);
        this.attempts.set(stepId, Number(d.attempt ?? 1));
        this.node({ id: eventId(), ...this.nodeIds(stepId, this.attempts.get(stepId)!), state: "INITIATED", ts }, out);
        break;
      case "text_chunk": {
        this.initiate(ts, out);
        const text = String(d.text ?? "");
        (this.ctx.streamedOutputs.get(stepId) ?? []).forEach((name, i) => {
          this.workflow({
            id: eventId(i), state: "STREAMING", ts,
            output: { id: outputId(this.ctx.workflowUuid, name), name, state: "STREAMING", node_id: stepId, delta: text, type: "STRING" },
          }, out);
        });
        this.node({
          id: eventId(99), ...this.nodeIds(stepId, this.attempts.get(stepId) ?? 1), state: "STREAMING", ts,
          output: { type: "STRING", value: text, node_output_id: derivedId(this.ctx.workflowUuid, "node-output", stepId), state: "STREAMING" },
        }, out);
        break;
      }
      case "step_finished": {
        const status = String(d.status);
        if (status === "skipped") break; // Vellum has no skipped nodes: a node that did not run sends nothing
        this.initiate(ts, out);
        const ids = this.nodeIds(stepId, Number(d.attempts) || 1);
        if (status === "succeeded") {
          const output = { ...typedValue(d.output), node_output_id: derivedId(this.ctx.workflowUuid, "node-output", stepId), state: "FULFILLED" };
          this.node({ id: eventId(), ...ids, state: "FULFILLED", ts, output_values: [output] }, out);
        } else {
          const error = (d.error ?? { code: status, message: `Step '${stepId}' ${status}` }) as FlowdeckError;
          this.node({ id: eventId(), ...ids, state: "REJECTED", ts, error: workflowError({ ...error, step_id: stepId }) }, out);
        }
        break;
      }
      case "run_finished": {
        this.initiate(ts, out);
        const status = String(d.status);
        const end = resultEvent(this.ctx.executionId, this.ctx.workflowUuid, {
          status, ts, outputs: d.outputs as Json | undefined, error: d.error as FlowdeckError | undefined,
        });
        if (end.state === "FULFILLED") {
          end.outputs.forEach((o, i) => {
            this.workflow({ id: eventId(i), state: "STREAMING", ts, output: { ...o, state: "FULFILLED" } }, out);
          });
        }
        this.workflow(end, out);
        break;
      }
    }
    return out;
  }
}

/** One NDJSON line, non-ASCII escaped so a line split across network chunks never splits a character. */
export function ndjsonLine(event: unknown): string {
  return `${JSON.stringify(event).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}
