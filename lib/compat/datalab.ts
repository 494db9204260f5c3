/**
 * Datalab's workflow API at its own paths, as its Python client (datalab-python-sdk) calls it:
 *
 *   POST /api/v1/workflows/workflows/{workflow_id}/execute   {input_config?}
 *   GET  /api/v1/workflows/executions/{execution_id}
 *
 * `workflow_id` is the Flowdeck workflow's integer id and `execution_id` the run's integer id
 * (the client types both as int). The file URLs of `input_config` fill the workflow's file
 * (or file-list) input; the run service fetches them. Statuses are Datalab's upper-case ones,
 * with COMPLETED and FAILED final (a cancelled run reads FAILED, its error says so), and
 * `steps` is always an object: step id → {"aggregated": {status, …}} — Flowdeck steps see all
 * of a run's files at once, so each step has one entry covering them all.
 */
import { z } from "zod";
import type { RunDoc } from "../schemas/api-runs";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError } from "../services/errors";
import { getRunDocumentByNumber } from "../services/run-documents";
import { startRunOnce } from "../services/runs";
import { resolveVersion } from "../services/workflows";
import { fileInputValue, resolveFileWorkflow } from "./kit/files";
import { compatRoute, headerKey, readJsonBody, type CompatError, type CompatProduct } from "./kit/route";
import type { CompatEndpoint } from "./kit/routes";

/** FastAPI's error bodies: `{detail: [{loc, msg, type}]}` for validation, `{detail: "…"}` otherwise. */
function fastApiError(e: CompatError): Response {
  if (e.status === 422 && e.detail) return Response.json({ detail: e.detail }, { status: 422 });
  // FastAPI reports a body that is not JSON as a validation error of the body.
  if (e.code === "invalid_json") {
    return Response.json({ detail: [{ loc: ["body"], msg: e.message, type: "json_invalid" }] }, { status: 422 });
  }
  return Response.json({ detail: e.message }, { status: e.status });
}

const product: CompatProduct = {
  origin: "datalab",
  apiKey: (headers) => headerKey(headers, "x-api-key"),
  error: fastApiError,
};

/** A path parameter FastAPI declares as int, refused the way FastAPI refuses it. */
function intParam(value: string | undefined, name: string): number {
  const text = (value ?? "").trim();
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ValidationError([{ loc: ["path", name], msg: "Input should be a valid integer, unable to parse string as an integer", type: "int_parsing" }]);
  }
  return n;
}

const fileUrl = z.string().trim().max(4000).regex(/^https?:\/\/\S+$/i, "Must be an http(s) URL");

/**
 * `input_config` in the three forms Datalab accepts: single_file + file_url, file_list +
 * file_urls, and bare file_urls (what the Python client's InputConfig sends). Bucket
 * enumeration (bucket/prefix/pattern/storage_type) has no Flowdeck counterpart.
 */
const inputConfigSchema = z
  .object({
    type: z.enum(["single_file", "file_list"]).optional(),
    file_url: fileUrl.optional(),
    file_urls: z.array(fileUrl).min(1).max(100).optional(),
    bucket: z.unknown().optional(),
  })
  .superRefine((config, ctx) => {
    if (config.bucket !== undefined) {
      ctx.addIssue({ code: "custom", path: ["bucket"], message: "Bucket inputs are not supported here: list the files in file_urls" });
    }
    if (config.type === "single_file" && !config.file_url) {
      ctx.addIssue({ code: "custom", path: ["file_url"], message: "single_file needs file_url" });
    }
    if (config.type === "file_list" && !config.file_urls) {
      ctx.addIssue({ code: "custom", path: ["file_urls"], message: "file_list needs file_urls" });
    }
    if (config.file_url && config.file_urls) {
      ctx.addIssue({ code: "custom", path: ["file_url"], message: "Give file_url or file_urls, not both" });
    }
  });
type InputConfig = z.output<typeof inputConfigSchema>;

const executeBodySchema = z.object({ input_config: inputConfigSchema.nullish() });

function urlsOf(config: InputConfig | null | undefined): { urls: string[]; loc: (string | number)[] } {
  if (!config) return { urls: [], loc: ["body", "input_config"] };
  if (config.file_url) return { urls: [config.file_url], loc: ["body", "input_config", "file_url"] };
  return { urls: config.file_urls ?? [], loc: ["body", "input_config", "file_urls"] };
}

const RUN_STATUS: Record<string, string> = {
  queued: "QUEUED", running: "IN_PROGRESS", succeeded: "COMPLETED", failed: "FAILED", cancelled: "FAILED",
};
const STEP_STATUS: Record<string, string> = {
  pending: "PENDING", running: "IN_PROGRESS", succeeded: "COMPLETED", failed: "FAILED", skipped: "SKIPPED", cancelled: "CANCELLED",
};

/** Step ids in definition order (so steps that have not started show as PENDING). */
async function definitionStepIds(actor: Actor, doc: RunDoc): Promise<string[]> {
  try {
    const { definition } = await resolveVersion(actor, doc.workflow.id, { version: doc.version });
    return definition.steps.map((s) => s.id);
  } catch {
    // The workflow was archived since: the steps that ran are all there is to show.
    return doc.steps.map((s) => s.id);
  }
}

/** A run (integer id `id`) as Datalab's execution document. */
async function executionDoc(actor: Actor, id: number, doc: RunDoc) {
  const final = ["succeeded", "failed", "cancelled"].includes(doc.status);
  const rows = new Map(doc.steps.map((s) => [s.id, s]));
  const steps: Record<string, { aggregated: Record<string, unknown> }> = {};
  for (const stepId of await definitionStepIds(actor, doc)) {
    const row = rows.get(stepId);
    const status = row ? (STEP_STATUS[row.status] ?? row.status.toUpperCase()) : final ? "SKIPPED" : "PENDING";
    steps[stepId] = {
      aggregated: {
        status,
        ...(row?.started_at && { started_at: row.started_at }),
        ...(row?.finished_at && { completed_at: row.finished_at }),
        // Datalab links outputs by presigned URL; Flowdeck hands the step's output inline.
        ...(row?.status === "succeeded" && doc.step_outputs && stepId in doc.step_outputs && { output: doc.step_outputs[stepId] }),
        ...(row?.error && { error: row.error.message }),
      },
    };
  }
  const status = RUN_STATUS[doc.status] ?? doc.status.toUpperCase();
  const error = doc.error
    ? `${doc.status === "cancelled" ? "Cancelled: " : ""}${doc.error.message}${doc.error.step_id ? ` (step ${doc.error.step_id})` : ""}`
    : doc.status === "cancelled" ? "Cancelled" : null;
  return {
    execution_id: id,
    workflow_id: doc.workflow.id,
    status,
    success: status !== "FAILED",
    steps,
    results: doc.outputs,
    error,
    created: doc.created_at,
    updated: doc.finished_at ?? doc.started_at ?? doc.created_at,
    web_url: doc.web_url,
  };
}

/** The run with integer id `id` as an execution; 404 for unknown and foreign ids alike. */
async function loadExecution(actor: Actor, id: number) {
  try {
    return await executionDoc(actor, id, await getRunDocumentByNumber(actor, id, { stepOutputs: true }));
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`Execution ${id}`);
    throw error;
  }
}

const execute = compatRoute<{ workflow_id: string }>(product, async ({ req, actor, params }) => {
  const workflowId = intParam(params.workflow_id, "workflow_id");
  const body = await readJsonBody(req, executeBodySchema, { optional: true });
  const { urls, loc } = urlsOf(body.input_config);
  const { label, resolved, spec } = await resolveFileWorkflow(actor, workflowId);
  const inputs = urls.length ? { [spec.name]: fileInputValue(spec, urls, loc) } : {};
  const { run } = await startRunOnce(actor, {
    workflow: resolved.workflow.id, label, resolved, inputs, origin: "datalab",
  });
  return Response.json(await loadExecution(actor, run.id));
});

const getExecution = compatRoute<{ execution_id: string }>(product, async ({ actor, params }) => {
  const id = intParam(params.execution_id, "execution_id");
  return Response.json(await loadExecution(actor, id));
});

/** The route handlers (app/api/v1/workflows/… route files export these). */
export const datalab = { execute, getExecution };

export const datalabEndpoints: CompatEndpoint[] = [
  {
    method: "POST", path: "/api/v1/workflows/workflows/:workflow_id/execute", handler: execute,
    file: "app/api/v1/workflows/workflows/[workflow_id]/execute/route.ts",
  },
  {
    method: "GET", path: "/api/v1/workflows/executions/:execution_id", handler: getExecution,
    file: "app/api/v1/workflows/executions/[execution_id]/route.ts",
  },
];
