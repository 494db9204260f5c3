/**
 * Vellum's Workflow Deployments execute API (base https://predict.vellum.ai), answered at
 * Flowdeck's root: execute (blocking), execute as an NDJSON stream, execute async + status.
 * A "workflow deployment" is a Flowdeck workflow (by UUID or name), a release tag is a label
 * (LATEST = the latest version), typed inputs map onto the version's inputs and outputs come
 * back typed. Shapes: lib/compat/vellum-shapes.ts. Docs: docs/compat/vellum.md.
 */
import { z } from "zod";
import { textStreamResponse } from "../api/event-stream";
import { blockingLimitMs, requestHash, waitForRunEnd } from "../api/run-response";
import type { InputSpec, InputType } from "../engine";
import { followRunEvents } from "../events/follow-run-events";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError, type ErrorDetail } from "../services/errors";
import { getRunDocument } from "../services/run-documents";
import { startRunOnce } from "../services/runs";
import { resolveVersion } from "../services/workflows";
import { storeUploads } from "./kit/files";
import { compatRoute, headerKey, readJsonBody, type CompatError, type CompatProduct } from "./kit/route";
import type { CompatEndpoint } from "./kit/routes";
import {
  executionStatusOf, ndjsonLine, resultEvent, streamedOutputsOf, VellumStreamTranslator, workflowError, type StreamEventType,
} from "./vellum-shapes";

// ── Errors: `{detail: "message"}`, 400 for anything wrong with the request ─────────────────

function locText(loc: (string | number)[]): string {
  return (loc[0] === "body" ? loc.slice(1) : loc).join(".");
}

/** One readable sentence per problem, prefixed with where it is (unless the message says so). */
function detailText(e: CompatError): string {
  if (!e.detail?.length) return e.message;
  return e.detail.map((d) => {
    const where = locText(d.loc);
    const last = String(d.loc.at(-1) ?? "");
    return !where || d.msg.startsWith(`${last}:`) ? d.msg : `${where}: ${d.msg}`;
  }).join("; ");
}

export const vellumProduct: CompatProduct = {
  origin: "vellum",
  apiKey: (headers) => headerKey(headers, "x-api-key"),
  // Vellum answers bad input with 400 (its client raises BadRequestError with the body).
  error: (e) => Response.json({ detail: detailText(e), code: e.code }, { status: e.status === 422 ? 400 : e.status }),
};

// ── The request ─────────────────────────────────────────────────────────────────────────

const MEDIA_TYPES = ["IMAGE", "AUDIO", "VIDEO", "DOCUMENT"] as const;
type VellumInputType = "STRING" | "NUMBER" | "JSON" | "CHAT_HISTORY" | (typeof MEDIA_TYPES)[number];

const inputName = z.string().min(1).max(100);
const mediaValue = z.object({ src: z.string().min(1), metadata: z.record(z.string(), z.unknown()).nullish() });
const chatMessage = z.object({
  role: z.enum(["SYSTEM", "ASSISTANT", "USER", "FUNCTION"]),
  text: z.string().nullish(),
  content: z.unknown().optional(),
  source: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

const inputSchema = z.discriminatedUnion("type", [
  z.object({ name: inputName, type: z.literal("STRING"), value: z.string() }),
  z.object({ name: inputName, type: z.literal("NUMBER"), value: z.number() }),
  z.object({ name: inputName, type: z.literal("JSON"), value: z.unknown() }),
  z.object({ name: inputName, type: z.literal("CHAT_HISTORY"), value: z.array(chatMessage) }),
  z.object({ name: inputName, type: z.literal(MEDIA_TYPES), value: mediaValue }),
]);
type VellumInput = z.output<typeof inputSchema>;

export const executeBodySchema = z
  .object({
    inputs: z.array(inputSchema).max(500),
    workflow_deployment_id: z.string().min(1).max(200).nullish(),
    workflow_deployment_name: z.string().min(1).max(200).nullish(),
    release_tag: z.string().min(1).max(100).nullish(),
    external_id: z.string().min(1).max(200).nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
    /** Accepted and ignored: Flowdeck runs do not load state from an earlier run. */
    previous_execution_id: z.string().nullish(),
    expand_meta: z.unknown().optional(),
    /** Stream only: which events to send (Vellum's default is WORKFLOW only). */
    event_types: z.array(z.enum(["WORKFLOW", "NODE"])).nullish(),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.inputs.forEach((input, i) => {
      if (seen.has(input.name)) ctx.addIssue({ code: "custom", path: ["inputs", i, "name"], message: `Input '${input.name}' is given twice` });
      seen.add(input.name);
    });
  });
type ExecuteBody = z.output<typeof executeBodySchema>;

/** Room for documents sent inline as data: URLs. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which workflow runs: the deployment id (the workflow's UUID), its name, or the key's bound workflow. */
function deploymentRef(actor: Actor, body: ExecuteBody): string | number {
  const id = body.workflow_deployment_id?.trim();
  if (id) {
    if (!UUID_RE.test(id) && !/^\d+$/.test(id)) {
      throw new ValidationError([{ loc: ["body", "workflow_deployment_id"], msg: "workflow_deployment_id must be the workflow's UUID", type: "value_error" }]);
    }
    return id;
  }
  if (body.workflow_deployment_name) return body.workflow_deployment_name.trim();
  if (actor.binding) return actor.binding.workflowId;
  throw new ValidationError([{
    loc: ["body", "workflow_deployment_id"], msg: "Give workflow_deployment_id or workflow_deployment_name", type: "missing",
  }]);
}

/** The Vellum input types each Flowdeck input type takes. */
const ACCEPTS: Record<InputType, readonly VellumInputType[]> = {
  text: ["STRING"],
  select: ["STRING"],
  number: ["NUMBER"],
  boolean: ["JSON", "STRING"],
  json: ["JSON", "CHAT_HISTORY"],
  file: MEDIA_TYPES,
  file_list: [...MEDIA_TYPES, "JSON"],
};

const EXTENSIONS: Record<string, string> = {
  "text/plain": ".txt", "text/csv": ".csv", "text/markdown": ".md", "text/html": ".html", "application/pdf": ".pdf",
  "application/json": ".json", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
  "audio/mpeg": ".mp3", "audio/wav": ".wav", "video/mp4": ".mp4",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
};

/**
 * A document given inline (`data:<type>;base64,<bytes>`) as a File, or null if `src` is not
 * one; a percent-encoded one that does not decode is a 400 at `loc`.
 */
function dataUrlFile(src: string, fallbackName: string, metadata: Record<string, unknown> | null | undefined, loc: (string | number)[]): File | null {
  const m = /^data:([^;,]*)((?:;[^;,=]+=[^;,]*)*)(;base64)?,(.*)$/s.exec(src);
  if (!m) return null;
  const type = m[1] || "text/plain";
  let text = m[4];
  if (!m[3]) {
    try {
      text = decodeURIComponent(m[4]);
    } catch {
      throw new ValidationError([{ loc, msg: "The data: URL is not valid percent-encoding (use ;base64 for binary data)", type: "value_error" }]);
    }
  }
  const bytes = m[3] ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
  const given = metadata?.filename ?? metadata?.name;
  const name = typeof given === "string" && given ? given : `${fallbackName}${EXTENSIONS[type] ?? ""}`;
  return new File([bytes], name, { type });
}

/**
 * A file reference from a media `src`: an http(s) URL (startRun fetches it), a data: URL
 * (stored here as an upload), `vellum:uploaded-file:<id>` or a bare Flowdeck file id.
 */
function fileSource(
  src: string, name: string, metadata: Record<string, unknown> | null | undefined, pending: PendingUpload[], set: (v: unknown) => void,
  loc: (string | number)[],
) {
  const trimmed = src.trim();
  if (/^https?:\/\//i.test(trimmed)) return set({ url: trimmed });
  const file = dataUrlFile(trimmed, name, metadata, loc);
  if (file) return pending.push({ file, set });
  set(trimmed.replace(/^vellum:uploaded-file:/, ""));
}

interface PendingUpload {
  file: File;
  set(id: string): void;
}

/**
 * Vellum's typed input list as Flowdeck inputs for `specs`, with the type of each checked
 * against the input it fills. Inline documents are stored; `discard` removes them again.
 */
async function toFlowdeckInputs(actor: Actor, specs: InputSpec[], items: VellumInput[]) {
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  const inputs: Record<string, unknown> = {};
  const errors: ErrorDetail[] = [];
  const pending: PendingUpload[] = [];
  items.forEach((item, i) => {
    const spec = bySpec.get(item.name);
    if (!spec) {
      inputs[item.name] = item.value; // not an input of this version: ignored by startRun
      return;
    }
    const accepted = ACCEPTS[spec.type];
    if (!accepted.includes(item.type)) {
      errors.push({
        loc: ["body", "inputs", i, "type"], type: "type_error",
        msg: `Input '${item.name}' is a ${spec.type} input: give it as ${accepted.join(" or ")}, not ${item.type}`,
      });
      return;
    }
    const set = (v: unknown) => (inputs[item.name] = v);
    if (item.type === "IMAGE" || item.type === "AUDIO" || item.type === "VIDEO" || item.type === "DOCUMENT") {
      const media = item.value;
      if (spec.type === "file_list") {
        const list: unknown[] = [null];
        set(list);
        fileSource(media.src, item.name, media.metadata, pending, (v) => (list[0] = v), ["body", "inputs", i, "value", "src"]);
      } else {
        fileSource(media.src, item.name, media.metadata, pending, set, ["body", "inputs", i, "value", "src"]);
      }
    } else if (spec.type === "file_list") {
      // A JSON list of sources: URLs, ids or {src}.
      const list = Array.isArray(item.value) ? item.value : null;
      const srcs = list?.map((x) => (typeof x === "string" ? x : x && typeof x === "object" ? (x as { src?: unknown }).src : null));
      if (!srcs || srcs.some((s) => typeof s !== "string" || !s)) {
        errors.push({ loc: ["body", "inputs", i, "value"], msg: `Input '${item.name}' takes a list of files: URLs or {src} objects`, type: "type_error" });
        return;
      }
      const files: unknown[] = srcs.map(() => null);
      set(files);
      (srcs as string[]).forEach((src, j) => fileSource(src, `${item.name}-${j + 1}`, null, pending, (v) => (files[j] = v), ["body", "inputs", i, "value", j]));
    } else if (spec.type === "json" && typeof item.value === "string") {
      set(JSON.stringify(item.value)); // Flowdeck parses JSON inputs given as text: keep a JSON string a string
    } else {
      set(item.value ?? null);
    }
  });
  if (errors.length) throw new ValidationError(errors);
  if (pending.length === 0) return { inputs, discard: async () => {} };
  const uploads = await storeUploads(actor, pending.map((p) => p.file));
  uploads.stored.forEach((stored, i) => pending[i].set(stored.id));
  return { inputs, discard: uploads.discard };
}

/** Vellum's metadata (any JSON) as Flowdeck's string map: non-strings are stored as JSON text. */
function toMetadata(metadata: Record<string, unknown> | null | undefined): Record<string, string> | undefined {
  if (!metadata) return undefined;
  const entries = Object.entries(metadata).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v) ?? "null"] as const);
  const errors: ErrorDetail[] = [];
  if (entries.length > 50) errors.push({ loc: ["body", "metadata"], msg: "At most 50 metadata keys", type: "value_error" });
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > 100) errors.push({ loc: ["body", "metadata", k], msg: "Metadata keys are 1–100 characters", type: "value_error" });
    if (v.length > 2000) errors.push({ loc: ["body", "metadata", k], msg: "A metadata value is at most 2000 characters (as JSON)", type: "value_error" });
  }
  if (errors.length) throw new ValidationError(errors);
  return Object.fromEntries(entries);
}

/**
 * Resolves the deployment and release, checks and maps the inputs, and starts the run (or,
 * for an external_id seen before with the same request, returns the first one).
 */
async function startExecution(actor: Actor, body: ExecuteBody) {
  const ref = deploymentRef(actor, body);
  const tag = body.release_tag?.trim();
  // LATEST is the latest version; like startRun, a key bound to a label defaults to it.
  const label = tag && tag !== "LATEST" ? tag : (actor.binding?.label ?? null);
  const metadata = toMetadata(body.metadata);
  const resolved = await resolveVersion(actor, ref, { label });
  if (actor.binding && resolved.workflow.id !== actor.binding.workflowId) throw new NotFoundError(`Workflow '${ref}'`);
  const { inputs, discard } = await toFlowdeckInputs(actor, resolved.definition.inputs, body.inputs);
  const externalId = body.external_id ?? null;
  try {
    const { run, replayed } = await startRunOnce(actor, {
      workflow: resolved.workflow.id, label, resolved, inputs, metadata, origin: "vellum", externalId,
      requestHash: externalId
        ? requestHash({ scope: "vellum", workflow: resolved.workflow.id, label, inputs: body.inputs, metadata: body.metadata ?? null })
        : null,
    });
    if (replayed) await discard();
    return { run, replayed, externalId, workflowUuid: resolved.workflow.uuid, outputs: resolved.definition.outputs };
  } catch (error) {
    await discard();
    throw error;
  }
}

// ── The endpoints ───────────────────────────────────────────────────────────────────────

/** POST /v1/execute-workflow: runs the workflow and answers with its result. */
const execute = compatRoute(vellumProduct, async ({ req, actor }) => {
  const body = await readJsonBody(req, executeBodySchema, { maxBytes: MAX_BODY_BYTES });
  const { run } = await startExecution(actor, body);
  // Vellum's call has no "accepted, still running" answer: wait up to the server's blocking
  // limit, then say where to poll — with a 4xx, since the client retries 5xx by sending the
  // request (and so starting the workflow) again.
  const limit = blockingLimitMs();
  if (!(await waitForRunEnd(run.id, limit, req.signal))) {
    return Response.json({
      detail: `Execution ${run.uuid} is still running after ${limit / 1000} s: poll GET /v1/workflows/executions/${run.uuid}/status`,
      code: "still_running", execution_id: run.uuid,
    }, { status: 409 });
  }
  const doc = await getRunDocument(actor, run.uuid);
  return Response.json({
    execution_id: doc.id,
    run_id: doc.id,
    external_id: doc.external_id,
    data: resultEvent(doc.id, doc.workflow.uuid, {
      status: doc.status, ts: doc.finished_at ?? new Date().toISOString(), outputs: doc.outputs, error: doc.error,
    }),
  });
});

/** POST /v1/execute-workflow-stream: the run's events as newline-delimited JSON. */
const executeStream = compatRoute(vellumProduct, async ({ req, actor }) => {
  const body = await readJsonBody(req, executeBodySchema, { maxBytes: MAX_BODY_BYTES });
  const { run, externalId, workflowUuid, outputs } = await startExecution(actor, body);
  const types = new Set<StreamEventType>(body.event_types?.length ? body.event_types : ["WORKFLOW"]);
  const translator = new VellumStreamTranslator({
    executionId: run.uuid, externalId, workflowUuid, types, streamedOutputs: streamedOutputsOf(outputs),
  });
  return textStreamResponse(
    req,
    async function* (signal) {
      for await (const frame of followRunEvents(run.id, { signal })) {
        for (const event of translator.translate(frame)) yield ndjsonLine(event);
      }
    },
    // Blank lines keep idle connections open; the client skips them.
    { contentType: "application/x-ndjson; charset=utf-8", keepAlive: { everyMs: 10_000, text: "\n" }, headers: { "x-flowdeck-run-id": run.uuid } },
  );
});

/** POST /v1/execute-workflow-async: starts the run, answers with its id at once. */
const executeAsync = compatRoute(vellumProduct, async ({ req, actor }) => {
  const body = await readJsonBody(req, executeBodySchema, { maxBytes: MAX_BODY_BYTES });
  const { run } = await startExecution(actor, body);
  return Response.json({ execution_id: run.uuid });
});

/** GET /v1/workflows/executions/{id}/status: where a run is, with its outputs or error once ended. */
const executionStatus = compatRoute<{ id: string }>(vellumProduct, async ({ actor, params }) => {
  if (!UUID_RE.test(params.id ?? "")) throw new NotFoundError("Workflow execution");
  const doc = await getRunDocument(actor, params.id.toLowerCase());
  // A key bound to one workflow sees only that workflow's executions, as on Dify's detail route.
  if (actor.binding && doc.workflow.id !== actor.binding.workflowId) throw new NotFoundError("Workflow execution");
  const status = executionStatusOf(doc.status);
  const error = status === "REJECTED" ? workflowError(doc.error) : null;
  return Response.json({
    execution_id: doc.id,
    status,
    outputs: doc.status === "succeeded" ? (doc.outputs ?? {}) : null,
    error: error && { message: error.message, code: error.code },
    execution_detail_url: doc.web_url,
  });
});

export const vellum = { execute, executeStream, executeAsync, executionStatus };

export const vellumEndpoints: CompatEndpoint[] = [
  { method: "POST", path: "/v1/execute-workflow", handler: execute, file: "app/v1/execute-workflow/route.ts" },
  { method: "POST", path: "/v1/execute-workflow-stream", handler: executeStream, file: "app/v1/execute-workflow-stream/route.ts" },
  { method: "POST", path: "/v1/execute-workflow-async", handler: executeAsync, file: "app/v1/execute-workflow-async/route.ts" },
  { method: "GET", path: "/v1/workflows/executions/:id/status", handler: executionStatus, file: "app/v1/workflows/executions/[id]/status/route.ts" },
];
