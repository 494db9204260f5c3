/**
 * The run contract of /api/v1: what a caller sends to start, re-run and list runs, and the
 * run documents it gets back (also the body of a run's callback).
 */
import { z } from "zod";
import { inputTypeSchema } from "../engine/definition";
import { cursorParam, limitParam, pageSchema, timestamp, timestampParam } from "./api-common";
import { runOriginSchema, runStatusSchema } from "./run";

/** Longest a blocking request may be asked to wait, whatever it asks for. */
export const MAX_WAIT_LIMIT_MS = 10 * 60_000;

export const responseModeSchema = z.enum(["blocking", "streaming", "async"]).meta({
  description:
    "blocking: wait for the run and return it (202 with the run URL if it outlasts the wait limit); " +
    "streaming: the run's events as Server-Sent Events; async: 202 with the run id at once",
});
export type ResponseMode = z.infer<typeof responseModeSchema>;

/** One input in the typed-list form. */
export const typedInputSchema = z.object({
  name: z.string().min(1).max(100),
  type: inputTypeSchema.optional().meta({ description: "If given, must match the input's declared type" }),
  value: z.unknown(),
});

export const runInputsSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(typedInputSchema).max(500)])
  .meta({
    id: "RunInputs",
    description:
      "Inputs as an object ({\"name\": value}) or a typed list ([{name, type, value}]). A file input takes an upload id " +
      "(from POST /api/v1/files), {\"id\": …}, or a URL ({\"url\": \"https://…\"} or the URL string) that the server fetches " +
      "and stores; only public addresses are fetched.",
  });

/** `version` as 7 or "v7". */
const versionNumber = z.preprocess(
  (v) => (typeof v === "string" && /^v?\d{1,9}$/i.test(v.trim()) ? Number(v.trim().replace(/^v/i, "")) : v),
  z.number().int().positive(),
);

const metadataSchema = z
  .record(z.string().min(1).max(100), z.string().max(2000))
  .refine((m) => Object.keys(m).length <= 50, "At most 50 metadata keys")
  .meta({ description: "Your own string map, stored with the run (at most 50 keys)" });

const callbackUrlSchema = z
  .url({ protocol: /^https?$/, hostname: z.regexes.domain.source ? undefined : undefined })
  .max(2000)
  .meta({ description: "POSTed the run result when the run ends (signed: see X-Flowdeck-Signature)" });

/** Options every run request (start or re-run) accepts. */
const runOptions = {
  metadata: metadataSchema.optional(),
  external_id: z.string().min(1).max(200).nullish().meta({
    description: "Your id for the run, unique in the workspace: a repeat with the same body returns the first run",
  }),
  response_mode: responseModeSchema.default("blocking"),
  callback_url: callbackUrlSchema.nullish(),
  return_all_outputs: z.boolean().default(false).meta({ description: "Also return every step's output (step_outputs)" }),
  max_wait_ms: z.number().int().min(0).max(MAX_WAIT_LIMIT_MS).optional().meta({
    description: "blocking mode: wait at most this long (capped by the server's limit) before answering 202",
  }),
};

export const startRunBodySchema = z
  .object({
    inputs: runInputsSchema.nullish(),
    label: z.string().min(1).max(100).nullish().meta({ description: "Run the version this label points at" }),
    version: versionNumber.nullish().meta({ description: "Run this exact version (7 or \"v7\"); neither = latest" }),
    ...runOptions,
  })
  .meta({ id: "StartRunRequest" });
export type StartRunBody = z.infer<typeof startRunBodySchema>;

export const rerunBodySchema = z
  .object({
    inputs: runInputsSchema.nullish().meta({ description: "Inputs to change; the others are the original run's" }),
    label: z.string().min(1).max(100).nullish(),
    version: versionNumber.nullish().meta({ description: "Default: the original run's version" }),
    from_step: z.string().min(1).max(100).nullish().meta({
      description: "Run again from this step: steps it does not depend on keep the original run's outputs",
    }),
    ...runOptions,
  })
  .meta({ id: "RerunRequest" });
export type RerunBody = z.infer<typeof rerunBodySchema>;

export const cancelRunBodySchema = z.object({ reason: z.string().max(500).optional() }).meta({ id: "CancelRunRequest" });

const runErrorSchema = z.object({ code: z.string(), message: z.string(), step_id: z.string().nullable() });

export const runStepSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
});

export const callbackDeliverySchema = z
  .object({
    attempt: z.number().int(),
    state: z.enum(["pending", "delivered", "failed"]),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    created_at: timestamp,
    next_attempt_at: timestamp.nullable(),
  })
  .meta({ id: "CallbackDelivery" });

const workflowRefSchema = z.object({ id: z.number().int(), uuid: z.string(), name: z.string(), title: z.string() });

/** Fields of a run that lists show. */
const runSummaryShape = {
  id: z.string().meta({ description: "The run's UUID" }),
  url: z.string().meta({ description: "This run in the API" }),
  events_url: z.string(),
  web_url: z.string().meta({ description: "The run page in the console" }),
  workflow: workflowRefSchema,
  version: z.number().int(),
  label: z.string().nullable(),
  status: runStatusSchema,
  origin: z.string(),
  external_id: z.string().nullable(),
  error: runErrorSchema.nullable(),
  total_steps: z.number().int(),
  total_tokens: z.number().int(),
  elapsed_ms: z.number().int().nullable(),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
  parent_run_id: z.string().nullable().meta({ description: "The run this one re-ran" }),
  rerun_from_step: z.string().nullable(),
};

export const runSummarySchema = z.object(runSummaryShape).meta({ id: "RunSummary" });
export type RunSummaryDoc = z.infer<typeof runSummarySchema>;

export const runSchema = z
  .object({
    ...runSummaryShape,
    metadata: z.record(z.string(), z.string()),
    inputs: z.record(z.string(), z.unknown()),
    outputs: z.record(z.string(), z.unknown()).nullable().meta({ description: "Final outputs (null until it succeeds)" }),
    step_outputs: z.record(z.string(), z.unknown()).optional().meta({ description: "Every finished step's output (return_all_outputs)" }),
    steps: z.array(runStepSchema),
    callback: z.object({ url: z.string(), deliveries: z.array(callbackDeliverySchema) }).nullable(),
    warnings: z.array(z.string()).optional().meta({ description: "Unknown inputs and fields that were ignored" }),
  })
  .meta({ id: "Run" });
export type RunDoc = z.infer<typeof runSchema>;

/** The 202 answer: the run was accepted (async) or is still running (blocking past its limit). */
export const runAcceptedSchema = z
  .object({
    id: z.string(),
    status: runStatusSchema,
    url: z.string(),
    events_url: z.string(),
    web_url: z.string(),
    warnings: z.array(z.string()),
    message: z.string().optional(),
  })
  .meta({ id: "RunAccepted" });
export type RunAcceptedDoc = z.infer<typeof runAcceptedSchema>;

export const cancelRunResultSchema = z
  .object({ id: z.string(), status: z.string().meta({ description: "cancelling, or the final status if it had ended" }), changed: z.boolean() })
  .meta({ id: "CancelRunResult" });

export const listRunsQuerySchema = z.object({
  workflow: z.string().max(200).optional().meta({ description: "Workflow id, UUID or name" }),
  status: runStatusSchema.optional(),
  label: z.string().max(100).optional(),
  version: z.coerce.number().int().positive().optional(),
  origin: runOriginSchema.optional(),
  created_after: timestampParam,
  created_before: timestampParam,
  q: z.string().min(1).max(200).optional().meta({ description: "Text, case-insensitive: the run id (UUID prefix or integer id), or the external id, metadata, error message, inputs or outputs contain it" }),
  limit: limitParam,
  cursor: cursorParam,
});
export type ListRunsQueryParams = z.infer<typeof listRunsQuerySchema>;

export const runPageSchema = pageSchema(runSummarySchema).meta({ id: "RunPage" });

export const getRunQuerySchema = z.object({
  return_all_outputs: z.enum(["true", "false", "1", "0"]).optional().transform((v) => v === "true" || v === "1")
    .meta({ description: "Include every step's output" }),
});

/** The body POSTed to callback_url when a run ends. */
export const runCallbackSchema = z
  .object({ event: z.literal("run.finished"), run: runSchema })
  .meta({ id: "RunCallback" });

/** One Server-Sent Event frame's data (the `id:` line carries seq). */
export const runEventSchema = z
  .object({
    seq: z.number().int().positive(),
    type: z.string().meta({ description: "run_started, step_started, step_finished, text_chunk, log, progress, run_finished" }),
    at: timestamp,
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "RunEvent" });
