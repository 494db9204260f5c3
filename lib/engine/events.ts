/**
 * Events the engine emits while running a workflow. The host stores them and adds a per-run
 * sequence number; the same schema validates stored and streamed frames.
 */
import { z } from "zod";

const errorInfo = z.object({ code: z.string(), message: z.string() });

/** Terminal status of a step. */
export const stepStatusSchema = z.enum(["succeeded", "failed", "skipped", "cancelled"]);
/** Terminal status of a run. */
export const runStatusSchema = z.enum(["succeeded", "failed", "cancelled"]);
/** Severity of a log line. */
export const logLevelSchema = z.enum(["debug", "info", "warn", "error"]);

/** One engine event, discriminated on `type`. */
export const engineEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run_started"), total_steps: z.number().int() }),
  z.object({ type: z.literal("step_started"), step_id: z.string(), kind: z.string(), attempt: z.number().int() }),
  z.object({
    type: z.literal("step_finished"),
    step_id: z.string(),
    kind: z.string(),
    status: stepStatusSchema,
    /** Why a step was skipped. */
    reason: z.string().optional(),
    output: z.unknown().optional(),
    error: errorInfo.optional(),
    duration_ms: z.number(),
    attempts: z.number().int(),
    tokens: z.number().int().optional(),
  }),
  z.object({ type: z.literal("text_chunk"), step_id: z.string(), text: z.string() }),
  z.object({ type: z.literal("log"), step_id: z.string(), level: logLevelSchema, message: z.string() }),
  z.object({ type: z.literal("progress"), step_id: z.string(), fraction: z.number().min(0).max(1), message: z.string().optional() }),
  z.object({
    type: z.literal("run_finished"),
    status: runStatusSchema,
    outputs: z.record(z.string(), z.unknown()).optional(),
    error: errorInfo.extend({ step_id: z.string().optional() }).optional(),
    duration_ms: z.number(),
    total_steps: z.number().int(),
    total_tokens: z.number().int(),
  }),
]);

/** One engine event. */
export type EngineEvent = z.infer<typeof engineEventSchema>;
/** The `type` of an engine event. */
export type EngineEventType = EngineEvent["type"];
/** Terminal status of a step. */
export type StepStatus = z.infer<typeof stepStatusSchema>;
/** Terminal status of a run. */
export type RunStatus = z.infer<typeof runStatusSchema>;
