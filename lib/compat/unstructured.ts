/**
 * Unstructured's Platform API (workflows and jobs) at its own paths, as its Python client
 * (unstructured-client, Speakeasy-generated) calls it:
 *
 *   POST /api/v1/workflows/{workflow_id}/run   multipart, files under input_files / input_files[]
 *   GET  /api/v1/jobs/{job_id}
 *   POST /api/v1/jobs/{job_id}/cancel          no body
 *
 * `workflow_id` is the Flowdeck workflow's UUID and a job is a run (job id = run UUID). The
 * uploaded files fill the workflow's file (or file-list) input. Answers are JobInformation;
 * errors are FastAPI's `{detail}` shapes.
 *
 * Flowdeck's own /api/v1/workflows/[workflow]/… routes own that dynamic segment, so the run
 * route lives at app/api/v1/workflows/[workflow]/run and reads Unstructured's workflow_id
 * from the `workflow` parameter.
 */
import { createHash } from "node:crypto";
import { ApiRequestError, readMultipartBody, readRequestBody } from "../api/body";
import { waitForRunEnd } from "../api/run-response";
import type { RunDoc } from "../schemas/api-runs";
import { NotFoundError, ValidationError, type ErrorDetail } from "../services/errors";
import { MAX_UPLOAD_BYTES, type StagedUpload } from "../services/files";
import { getRunDocument } from "../services/run-documents";
import { cancelRun, findRunId, startRunOnce } from "../services/runs";
import type { Actor } from "../schemas/workspace";
import { fileInputValue, formFiles, resolveFileWorkflow, storeUploads } from "./kit/files";
import { compatRoute, headerKey, type CompatError, type CompatProduct } from "./kit/route";
import type { CompatEndpoint } from "./kit/routes";

/** FastAPI's error bodies: `{detail: [{loc, msg, type}]}` for validation, `{detail: "…"}` otherwise. */
function fastApiError(e: CompatError): Response {
  if (e.status === 422 && e.detail) return Response.json({ detail: e.detail }, { status: 422 });
  return Response.json({ detail: e.message }, { status: e.status });
}

const product: CompatProduct = {
  origin: "unstructured",
  apiKey: (headers) => headerKey(headers, "unstructured-api-key"),
  error: fastApiError,
};

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A path parameter FastAPI declares as a UUID, refused the way FastAPI refuses it. */
function uuidParam(value: string | undefined, name: string): string {
  const text = (value ?? "").trim();
  if (!UUID_RE.test(text)) {
    throw new ValidationError([{ loc: ["path", name], msg: "Input should be a valid UUID", type: "uuid_parsing" }]);
  }
  const hex = text.replace(/-/g, "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whole multipart request: a few files of the largest upload size. */
const MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES * 4 + 64 * 1024;
const FILE_FIELDS = ["input_files", "input_files[]"];

/**
 * The uploaded files of a run request (streamed to storage; `discard` removes the ones not
 * saved); no body at all is valid (no files).
 */
async function readInputFiles(req: Request): Promise<{ files: StagedUpload[]; discard(): Promise<void> }> {
  const type = req.headers.get("content-type")?.toLowerCase() ?? "";
  if (!type.startsWith("multipart/form-data")) {
    try {
      await readRequestBody(req, { formats: [], optional: true, maxBytes: 64 * 1024 });
    } catch (error) {
      if (error instanceof ApiRequestError && error.status === 415) {
        throw new ApiRequestError(415, "unsupported_media_type", "Send the files as multipart/form-data in the field input_files");
      }
      throw error;
    }
    return { files: [], discard: async () => {} };
  }
  if (req.headers.get("content-length") === "0") return { files: [], discard: async () => {} };
  const form = await readMultipartBody(req, { maxFileBytes: MAX_UPLOAD_BYTES, maxFiles: 20, maxBytes: MAX_REQUEST_BYTES, fileFields: FILE_FIELDS });
  const errors: ErrorDetail[] = [];
  FILE_FIELDS.flatMap((f) => form.getAll(f)).forEach((value, i) => {
    if (typeof value === "string") errors.push({ loc: ["body", "input_files", i], msg: "Expected UploadFile, received a text value", type: "value_error" });
  });
  if (errors.length) {
    await form.discard();
    throw new ValidationError(errors);
  }
  return { files: formFiles(form, FILE_FIELDS), discard: form.discard };
}

const JOB_STATUS: Record<string, string> = {
  queued: "SCHEDULED", running: "IN_PROGRESS", succeeded: "COMPLETED", cancelled: "STOPPED", failed: "FAILED",
};

/** Milliseconds as an ISO 8601 duration (pydantic reads it as a timedelta). */
function isoDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")}S`;
}

/** Ids of the stored files among a run's inputs (file refs have an id and a mime type). */
function inputFileIds(inputs: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      const ref = v as { id?: unknown; mime_type?: unknown };
      if (typeof ref.id === "string" && typeof ref.mime_type === "string") ids.push(ref.id);
    }
  };
  Object.values(inputs).forEach(visit);
  return ids;
}

/** A stable UUID for a workflow's step: Unstructured node ids are UUIDs, Flowdeck step ids names. */
function nodeId(workflowUuid: string, stepId: string): string {
  const h = createHash("sha256").update(`${workflowUuid}/${stepId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A run as Unstructured's JobInformation. */
function jobInformation(doc: RunDoc) {
  const files = inputFileIds(doc.inputs);
  // Each finished step has produced output for the job's files: one entry per step and file.
  const outputs = doc.steps
    .filter((s) => s.status === "succeeded")
    .flatMap((s) => files.map((file) => ({ node_id: nodeId(doc.workflow.uuid, s.id), file_id: file, node_type: s.kind, node_subtype: s.id })));
  return {
    id: doc.id,
    workflow_id: doc.workflow.uuid,
    workflow_name: doc.workflow.name,
    status: JOB_STATUS[doc.status] ?? doc.status.toUpperCase(),
    created_at: doc.created_at,
    runtime: doc.elapsed_ms != null ? isoDuration(doc.elapsed_ms) : null,
    input_file_ids: files,
    output_node_files: outputs,
    job_type: "ephemeral",
  };
}

async function loadJob(actor: Actor, uuid: string): Promise<RunDoc> {
  try {
    return await getRunDocument(actor, uuid);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`Job ${uuid}`);
    throw error;
  }
}

const runWorkflow = compatRoute<{ workflow: string }>(product, async ({ req, actor, params }) => {
  const workflowUuid = uuidParam(params.workflow, "workflow_id");
  const { files, discard } = await readInputFiles(req);
  let runUuid: string;
  try {
    const { label, resolved, spec } = await resolveFileWorkflow(actor, workflowUuid);
    const uploads = await storeUploads(actor, files);
    try {
      const ids = uploads.stored.map((f) => f.id);
      const inputs = ids.length ? { [spec.name]: fileInputValue(spec, ids, ["body", "input_files"]) } : {};
      const { run } = await startRunOnce(actor, { workflow: resolved.workflow.id, label, resolved, inputs, origin: "unstructured" });
      runUuid = run.uuid;
    } catch (error) {
      // A refused request keeps none of its uploads.
      await uploads.discard();
      throw error;
    }
  } finally {
    await discard(); // the streamed uploads that were not saved
  }
  return Response.json(jobInformation(await getRunDocument(actor, runUuid)), { status: 202 });
});

const getJob = compatRoute<{ job_id: string }>(product, async ({ actor, params }) => {
  return Response.json(jobInformation(await loadJob(actor, uuidParam(params.job_id, "job_id"))));
});

/** How long a cancel waits for the job to stop before it answers with the state it is in. */
const CANCEL_WAIT_MS = 5_000;

const cancelJob = compatRoute<{ job_id: string }>(product, async ({ req, actor, params }) => {
  const uuid = uuidParam(params.job_id, "job_id");
  let runId: number;
  try {
    runId = (await findRunId(actor, uuid)).id;
    await cancelRun(actor, uuid);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`Job ${uuid}`);
    throw error;
  }
  await waitForRunEnd(runId, CANCEL_WAIT_MS, req.signal);
  return Response.json(jobInformation(await loadJob(actor, uuid)));
});

/** The route handlers (the app/api/v1/… route files export these). */
export const unstructured = { runWorkflow, getJob, cancelJob };

export const unstructuredEndpoints: CompatEndpoint[] = [
  {
    method: "POST", path: "/api/v1/workflows/:workflow/run", handler: runWorkflow,
    file: "app/api/v1/workflows/[workflow]/run/route.ts",
  },
  { method: "GET", path: "/api/v1/jobs/:job_id", handler: getJob, file: "app/api/v1/jobs/[job_id]/route.ts" },
  { method: "POST", path: "/api/v1/jobs/:job_id/cancel", handler: cancelJob, file: "app/api/v1/jobs/[job_id]/cancel/route.ts" },
];
