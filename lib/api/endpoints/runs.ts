/** Run endpoints: start, read, list, follow, cancel, re-run. */
import { z } from "zod";
import {
  cancelRunBodySchema, cancelRunResultSchema, getRunQuerySchema, listRunsQuerySchema, rerunBodySchema, runAcceptedSchema,
  runPageSchema, runSchema, startRunBodySchema,
} from "../../schemas/api-runs";
import { defineEndpoint } from "../endpoint";

const runParams = z.object({ run: z.string().max(100).meta({ description: "The run's id (UUID)" }) });
const workflowParams = z.object({ workflow: z.string().max(200).meta({ description: "Workflow id, UUID or name" }) });

const idempotencyHeader = {
  name: "Idempotency-Key",
  description: "Unique per workspace (max 200 characters). A repeat with the same body returns the first run; a different body is 422.",
};

const runStartResponses = {
  200: {
    description: "blocking: the finished run. streaming: text/event-stream of the run's events (same frames as GET /runs/{run}/events)",
    schema: runSchema,
    contentType: "text/event-stream",
    headers: { "X-Flowdeck-Run-Id": "The run's id", Location: "The run in the API" },
  },
  202: {
    description: "async, or blocking past the wait limit: the run was accepted and is still going; follow `url` or `events_url`",
    schema: runAcceptedSchema,
    headers: { Location: "The run in the API", "Idempotent-Replayed": "true when this answers a repeated request" },
  },
};

export const startRunEndpoint = defineEndpoint({
  method: "POST", path: "/workflows/{workflow}/runs", operationId: "startRun", tag: "Runs",
  summary: "Run a workflow",
  description:
    "Starts a run of the workflow's version picked by `label` or `version` (neither: the latest). Inputs are checked against " +
    "that version's input schema; a refused request stores nothing. `response_mode` picks how to answer: blocking (default), " +
    "streaming (Server-Sent Events) or async. The server's wait limit for blocking is FLOWDECK_BLOCKING_LIMIT_MS (default 60 s).",
  params: workflowParams,
  body: { schema: startRunBodySchema },
  headers: [idempotencyHeader],
  responses: runStartResponses,
});

export const listRunsEndpoint = defineEndpoint({
  method: "GET", path: "/runs", operationId: "listRuns", tag: "Runs",
  summary: "List runs",
  description: "Newest first, with filters. Pass `next_cursor` back as `cursor` for the next page.",
  query: listRunsQuerySchema,
  responses: { 200: { description: "A page of runs", schema: runPageSchema } },
});

export const getRunEndpoint = defineEndpoint({
  method: "GET", path: "/runs/{run}", operationId: "getRun", tag: "Runs",
  summary: "Get a run",
  description: "Status, inputs, outputs, error, steps, timings, token count, lineage and callback deliveries.",
  params: runParams,
  query: getRunQuerySchema,
  responses: { 200: { description: "The run", schema: runSchema } },
});

export const runEventsEndpoint = defineEndpoint({
  method: "GET", path: "/runs/{run}/events", operationId: "streamRunEvents", tag: "Runs",
  summary: "Follow a run's events (SSE)",
  description:
    "Server-Sent Events: every stored event after `Last-Event-ID` (or `?after=`), then new ones live, with keep-alive " +
    "comments while idle; the stream closes after run_finished. Each frame's `id:` is the event's seq (gap-free from 1), " +
    "`event:` its type and `data:` a RunEvent. Reconnect with the last id you saw to get exactly what you missed.",
  params: runParams,
  query: z.object({ after: z.coerce.number().int().min(0).optional().meta({ description: "Replay events after this seq" }) }),
  headers: [{ name: "Last-Event-ID", description: "Replay events after this seq (takes precedence over ?after=)" }],
  responses: { 200: { description: "text/event-stream of RunEvent frames", contentType: "text/event-stream" } },
});

export const cancelRunEndpoint = defineEndpoint({
  method: "POST", path: "/runs/{run}/cancel", operationId: "cancelRun", tag: "Runs",
  summary: "Cancel a run",
  description: "A queued run ends at once; a running one has its in-flight steps aborted and ends `cancelled`. An ended run is left as it is.",
  params: runParams,
  body: { schema: cancelRunBodySchema, optional: true },
  responses: { 202: { description: "Cancellation requested (or the run had already ended: changed=false)", schema: cancelRunResultSchema } },
});

export const rerunEndpoint = defineEndpoint({
  method: "POST", path: "/runs/{run}/rerun", operationId: "rerunRun", tag: "Runs",
  summary: "Re-run a run",
  description:
    "Runs again with the same inputs (or some changed), the same version (or another label/version), optionally from a step: " +
    "steps that step does not depend on keep the original run's outputs. The new run records parent_run_id and rerun_from_step.",
  params: runParams,
  body: { schema: rerunBodySchema, optional: true },
  headers: [idempotencyHeader],
  responses: runStartResponses,
});
