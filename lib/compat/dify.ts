/**
 * Dify's Workflow App API (base URL `<flowdeck>/v1`, `Authorization: Bearer <key>`). In Dify
 * the key picks the app, so the workflow that runs is the one the Flowdeck API key is bound
 * to (with its label); an unbound key cannot run anything here. Runs are stored with origin
 * "dify", the caller's `user` kept in the run's metadata; task id and run id are both the
 * run's UUID. Errors are Dify's `{status, code, message}`.
 */
import { z } from "zod";
import { ApiRequestError, readMultipartBody, type MultipartForm } from "../api/body";
import { textStreamResponse } from "../api/event-stream";
import { blockingLimitMs, waitForRunEnd } from "../api/run-response";
import type { InputSpec, WorkflowDefinition } from "../engine";
import { followRunEvents } from "../events/follow-run-events";
import type { RunDoc } from "../schemas/api-runs";
import { isFinalStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError, type ErrorDetail } from "../services/errors";
import { MAX_UPLOAD_BYTES } from "../services/files";
import { getRunDocument } from "../services/run-documents";
import { cancelRun, startRun } from "../services/runs";
import { resolveVersion } from "../services/workflows";
import { formFiles, storeUploads } from "./kit/files";
import { bearerKey, compatRoute, readJsonBody, type CompatError, type CompatProduct } from "./kit/route";
import type { CompatEndpoint } from "./kit/routes";
import { blockingReply, DifyEventMapper, runDetail, sseData } from "./dify-shapes";

// ── Errors ────────────────────────────────────────────────────────────────────────────────

/** Flowdeck's codes as Dify names them (others pass through unchanged). */
const CODES: Record<string, string> = {
  validation_error: "invalid_param",
  invalid_json: "bad_request",
  invalid_body: "bad_request",
  internal_error: "internal_server_error",
};

/** `inputs.name: message; …` from a validation error's detail (the leading "body" dropped). */
function detailMessage(detail: ErrorDetail[]): string {
  return detail
    .map((d) => {
      const loc = (d.loc[0] === "body" ? d.loc.slice(1) : d.loc).join(".");
      return loc ? `${loc}: ${d.msg}` : d.msg;
    })
    .join("; ");
}

export function difyErrorResponse(e: CompatError): Response {
  const status = e.status === 422 ? 400 : e.status;
  const message = e.detail?.length ? detailMessage(e.detail) : e.message;
  return Response.json({ status, code: CODES[e.code] ?? e.code, message }, { status });
}

export const difyProduct: CompatProduct = { origin: "dify", apiKey: bearerKey, error: difyErrorResponse };

// ── Requests ──────────────────────────────────────────────────────────────────────────────

const userSchema = z.string({ error: "user is required: your identifier for the end user" }).trim().min(1, "user cannot be empty").max(255);

/** A file value as Dify's clients send it. */
const difyFileSchema = z.discriminatedUnion("transfer_method", [
  z.object({
    type: z.enum(["document", "image", "audio", "video", "custom"]),
    transfer_method: z.literal("local_file"),
    upload_file_id: z.string({ error: "upload_file_id is required for transfer_method local_file" }).min(1),
  }),
  z.object({
    type: z.enum(["document", "image", "audio", "video", "custom"]),
    transfer_method: z.literal("remote_url"),
    url: z.string({ error: "url is required for transfer_method remote_url" }).regex(/^https?:\/\//i, "url must be an http(s) URL"),
  }),
], { error: "transfer_method must be local_file or remote_url" });

export const difyRunBodySchema = z.object({
  inputs: z.record(z.string(), z.unknown(), { error: "inputs is required: an object of the workflow's input values" }),
  // Dify's clients always send it; a missing one means blocking, as in Dify.
  response_mode: z.enum(["blocking", "streaming"], { error: "response_mode must be blocking or streaming" }).nullish()
    .transform((v) => v ?? "blocking"),
  user: userSchema,
});

const stopBodySchema = z.object({ user: userSchema });

/** A Dify file object → what Flowdeck's file inputs take: the upload id, or the URL it fetches. */
function fileValue(value: unknown, loc: (string | number)[], errors: ErrorDetail[]): unknown {
  if (!value || typeof value !== "object" || !("transfer_method" in value)) return value; // not Dify's shape: as given
  const parsed = difyFileSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push({ loc: [...loc, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))], msg: issue.message, type: issue.code });
    return value;
  }
  return parsed.data.transfer_method === "local_file" ? parsed.data.upload_file_id : parsed.data.url;
}

/** The run's inputs with Dify's file objects (single, or a list for a file list) mapped onto Flowdeck's. */
export function mapDifyInputs(specs: InputSpec[], inputs: Record<string, unknown>): Record<string, unknown> {
  const out = { ...inputs };
  const errors: ErrorDetail[] = [];
  for (const spec of specs) {
    if ((spec.type !== "file" && spec.type !== "file_list") || out[spec.name] == null) continue;
    const loc = ["body", "inputs", spec.name];
    const value = out[spec.name];
    if (Array.isArray(value)) {
      const items = value.map((item, i) => fileValue(item, [...loc, i], errors));
      if (spec.type === "file" && items.length > 1) {
        errors.push({ loc, msg: `takes one file, not ${items.length}`, type: "value_error" });
      }
      out[spec.name] = spec.type === "file" ? items[0] : items;
    } else {
      const item = fileValue(value, loc, errors);
      out[spec.name] = spec.type === "file_list" ? [item] : item;
    }
  }
  if (errors.length) throw new ValidationError(errors);
  return out;
}

// ── Run ───────────────────────────────────────────────────────────────────────────────────

/** The key's bound workflow at its label; 400 app_unavailable for a key bound to nothing (or to what is gone). */
async function boundWorkflow(actor: Actor) {
  const binding = actor.binding;
  if (!binding) {
    throw new ApiRequestError(400, "app_unavailable",
      "This API key is not bound to a workflow. In Dify the key selects the app: bind the key to one workflow " +
      "(Settings → API keys, or POST /api/v1/api-keys with \"workflow\" and an optional \"label\") and use that key here.");
  }
  try {
    return await resolveVersion(actor, binding.workflowId, { label: binding.label });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new ApiRequestError(400, "app_unavailable", `The workflow this API key is bound to cannot run: ${error.message}`);
  }
}

/** How often an idle stream says `event: ping` (Dify: about every 10 s). */
const pingMs = () => Number(process.env.FLOWDECK_DIFY_PING_MS) || 10_000;

/** The run's events as Dify's SSE; closes after workflow_finished. */
function streamRun(req: Request, actor: Actor, runId: number, doc: RunDoc, definition: WorkflowDefinition): Response {
  const mapper = new DifyEventMapper({ uuid: doc.id, workflowUuid: doc.workflow.uuid, createdAt: doc.created_at, inputs: doc.inputs }, definition);
  return textStreamResponse(
    req,
    async function* (signal) {
      yield sseData(mapper.started());
      for await (const frame of followRunEvents(runId, { signal })) {
        const event = mapper.map(frame);
        if (event) yield sseData(event);
      }
      // The log ended without run_finished in sight (it was cut short): close with the stored run.
      if (!mapper.finished && !signal.aborted) {
        const last = await getRunDocument(actor, doc.id);
        if (isFinalStatus(last.status)) yield sseData(mapper.finishFrom(last));
      }
    },
    {
      contentType: "text/event-stream; charset=utf-8",
      headers: { connection: "keep-alive" },
      keepAlive: { everyMs: pingMs(), text: "event: ping\n\n" },
      maxMs: 60 * 60_000,
    },
  );
}

/** POST /v1/workflows/run */
const run = compatRoute(difyProduct, async ({ req, actor }) => {
  const { workflow, version, definition } = await boundWorkflow(actor);
  const body = await readJsonBody(req, difyRunBodySchema);
  const started = await startRun(actor, {
    workflow: workflow.id, label: actor.binding?.label ?? null, resolved: { workflow, version, definition },
    inputs: mapDifyInputs(definition.inputs, body.inputs), metadata: { user: body.user }, origin: "dify",
  });
  if (body.response_mode === "streaming") {
    const doc = await getRunDocument(actor, started.uuid);
    return streamRun(req, actor, started.id, doc, definition);
  }
  // Dify has no "accepted" answer: past the server's blocking limit the reply says running.
  await waitForRunEnd(started.id, blockingLimitMs(), req.signal);
  return Response.json(blockingReply(await getRunDocument(actor, started.uuid)));
});

/** A run the key may see: its workspace's, and for a bound key only its workflow's (404 otherwise). */
async function visibleRun(actor: Actor, uuid: string): Promise<RunDoc> {
  const doc = await getRunDocument(actor, uuid.toLowerCase()).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError("Workflow run") : error;
  });
  if (actor.binding && doc.workflow.id !== actor.binding.workflowId) throw new NotFoundError("Workflow run");
  return doc;
}

/** GET /v1/workflows/run/{id} */
const getRun = compatRoute<{ id: string }>(difyProduct, async ({ actor, params }) => {
  return Response.json(runDetail(await visibleRun(actor, params.id)));
});

/** POST /v1/workflows/tasks/{task_id}/stop — stopping a run that already ended is a success too. */
const stop = compatRoute<{ task_id: string }>(difyProduct, async ({ req, actor, params }) => {
  await readJsonBody(req, stopBodySchema);
  const doc = await visibleRun(actor, params.task_id);
  await cancelRun(actor, doc.id);
  return Response.json({ result: "success" });
});

// ── Files ─────────────────────────────────────────────────────────────────────────────────

/** POST /v1/files/upload — multipart `file` (one) and `user`; 201 with Dify's file record. */
const upload = compatRoute(difyProduct, async ({ req, actor }) => {
  let form: MultipartForm;
  try {
    form = await readMultipartBody(req, { maxFileBytes: MAX_UPLOAD_BYTES, maxFiles: 1, fileFields: ["file"] });
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 413) throw new ApiRequestError(413, "file_too_large", error.message);
    throw error; // more than one file: 400 too_many_files
  }
  try {
    const files = formFiles(form, ["file"]);
    if (files.length === 0) throw new ApiRequestError(400, "no_file_uploaded", "No file: send it in a multipart field named 'file'");
    const user = form.get("user");
    const { stored: [file] } = await storeUploads(actor, files);
    const dot = file.name.lastIndexOf(".");
    return Response.json({
      id: file.id, name: file.name, size: file.size,
      extension: dot > 0 ? file.name.slice(dot + 1).toLowerCase() : "",
      mime_type: file.mime_type,
      created_by: typeof user === "string" && user ? user : null,
      created_at: Math.floor(Date.now() / 1000),
    }, { status: 201 });
  } finally {
    await form.discard();
  }
});

export const dify = { run, getRun, stop, upload };

export const difyEndpoints: CompatEndpoint[] = [
  { method: "POST", path: "/v1/workflows/run", handler: run, file: "app/v1/workflows/run/route.ts" },
  { method: "GET", path: "/v1/workflows/run/:id", handler: getRun, file: "app/v1/workflows/run/[id]/route.ts" },
  { method: "POST", path: "/v1/workflows/tasks/:task_id/stop", handler: stop, file: "app/v1/workflows/tasks/[task_id]/stop/route.ts" },
  { method: "POST", path: "/v1/files/upload", handler: upload, file: "app/v1/files/upload/route.ts" },
];
