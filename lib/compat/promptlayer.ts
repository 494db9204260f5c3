/**
 * PromptLayer's "run workflow" API at its own paths, as its official JS client (`promptlayer`,
 * `runWorkflow`) and its REST docs use it:
 *
 *   POST /workflows/{workflow_name}/run                       → 201 {workflow_version_execution_id}
 *                                                               (202 with callback_url)
 *   GET  /workflow-version-execution-results?workflow_version_execution_id=&return_all_outputs=
 *   POST /ws-token-request-library?capability=workflow_updates:{id}
 *                                                             → a token for the WebSocket
 *                                                               (lib/compat/promptlayer-realtime.ts)
 *
 * An execution id is the run's integer id. A "node" is a Flowdeck step (keyed by step id); the
 * output nodes are the steps the workflow's outputs refer to, and the final output is the
 * run's outputs object. A run that did not succeed reports the node map even when only the
 * final output was asked for — the official client then throws with that map, as it does for
 * PromptLayer. Node statuses: SUCCESS, FAILURE, SKIPPED, QUEUED, RUNNING.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { findReferences, forEachString, resolveStepRef, type WorkflowDefinition } from "../engine";
import type { RunDoc } from "../schemas/api-runs";
import { isFinalStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { registerCallbackBody } from "../services/callbacks";
import { NotFoundError, ValidationError } from "../services/errors";
import { getRunDocumentById, getRunDocumentByNumber } from "../services/run-documents";
import { getRunDetailById, startRunOnce } from "../services/runs";
import { findWorkflow, getDefinitionOfVersion, WORKFLOW_NAME_RE } from "../services/workflows";
import { compatRoute, headerKey, parseParams, readJsonBody, type CompatError, type CompatProduct } from "./kit/route";
import type { CompatEndpoint } from "./kit/routes";

/** PromptLayer's error body: the official client shows `error`; validation also carries FastAPI's `detail`. */
function promptLayerError(e: CompatError): Response {
  return Response.json(
    { success: false, message: e.message, error: e.message, ...(e.detail ? { detail: e.detail } : {}) },
    { status: e.status },
  );
}

const product: CompatProduct = {
  origin: "promptlayer",
  apiKey: (headers) => headerKey(headers, "x-api-key"),
  error: promptLayerError,
};

/**
 * Where a run remembers that its caller asked for every node's output: the WebSocket push and
 * the callback come later, from requests that do not repeat the flag. Only set when true.
 */
export const RETURN_ALL_OUTPUTS_KEY = "promptlayer.return_all_outputs";

/** "2" is accepted for 2, as PromptLayer's server (pydantic) does. */
const versionNumber = z.preprocess(
  (v) => (typeof v === "string" && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : v),
  z.number().int().positive(),
);

const runBodySchema = z.object({
  workflow_label_name: z.string().min(1).max(100).nullish(),
  workflow_version_number: versionNumber.nullish(),
  input_variables: z.record(z.string(), z.unknown()).nullish(),
  metadata: z
    .record(z.string().min(1).max(100), z.string().max(2000))
    .refine((m) => Object.keys(m).length <= 50, "At most 50 metadata keys")
    .nullish(),
  return_all_outputs: z.boolean().nullish(),
  callback_url: z.url({ protocol: /^https?$/ }).max(2000).nullish(),
});

const badRequest = (message: string): CompatError => ({ status: 400, code: "bad_request", message });

/** POST /workflows/{workflow_name}/run */
const run = compatRoute<{ workflow_name: string }>(product, async ({ req, actor, params }) => {
  const name = params.workflow_name ?? "";
  const body = await readJsonBody(req, runBodySchema, { optional: true });
  if (body.workflow_label_name && body.workflow_version_number != null) {
    return product.error(badRequest("Give workflow_label_name or workflow_version_number, not both"));
  }
  // Flowdeck looks workflows up by id, UUID or name; PromptLayer's path carries a name only.
  if (!WORKFLOW_NAME_RE.test(name)) throw new NotFoundError(`Workflow '${name}'`);
  const workflow = await findWorkflow(actor, name);
  if (workflow.name !== name) throw new NotFoundError(`Workflow '${name}'`);

  const metadata = { ...(body.metadata ?? {}) };
  if (body.return_all_outputs) metadata[RETURN_ALL_OUTPUTS_KEY] = "true";
  const { run: started } = await startRunOnce(actor, {
    workflow: workflow.id,
    label: body.workflow_label_name ?? null,
    version: body.workflow_version_number ?? null,
    inputs: body.input_variables ?? {},
    metadata,
    origin: "promptlayer",
    callbackUrl: body.callback_url ?? null,
  });
  const accepted = Boolean(body.callback_url);
  return Response.json(
    {
      success: true,
      message: accepted ? "Workflow execution accepted" : "Workflow execution created successfully",
      warning: started.warnings.length ? started.warnings.join("; ") : null,
      workflow_version_execution_id: started.id,
    },
    { status: accepted ? 202 : 201 },
  );
});

// ---------------------------------------------------------------------------------------------
// Results: the same shaping for the results endpoint, the WebSocket push and the callback.

/** One node (step) of an execution, as PromptLayer reports it. */
export interface NodeResult {
  status: "SUCCESS" | "FAILURE" | "SKIPPED" | "QUEUED" | "RUNNING";
  value: unknown;
  error_message: string | null;
  raw_error_message: string | null;
  is_output_node: boolean;
}

/** What an execution reports: `output` is the final output, or the node map. */
export interface WorkflowResult {
  finished: boolean;
  output: unknown;
}

const NODE_STATUS: Record<string, NodeResult["status"]> = {
  succeeded: "SUCCESS", failed: "FAILURE", cancelled: "FAILURE", skipped: "SKIPPED", running: "RUNNING", pending: "QUEUED",
};

/** The steps the workflow's outputs are made from. */
function outputSteps(definition: WorkflowDefinition): Set<string> {
  const ids = new Set(definition.steps.map((s) => s.id));
  const found = new Set<string>();
  forEachString(definition.outputs, (text) => {
    for (const ref of findReferences(text).steps) {
      const id = resolveStepRef(ref, ids);
      if (id) found.add(id);
    }
  });
  return found;
}

/** Every step of the version, in definition order; steps never started are queued, or skipped once the run is over. */
function nodeMap(doc: RunDoc, definition: WorkflowDefinition): Record<string, NodeResult> {
  const outputs = outputSteps(definition);
  const stored = new Map(doc.steps.map((s) => [s.id, s]));
  const over = isFinalStatus(doc.status);
  const nodes: Record<string, NodeResult> = {};
  for (const spec of definition.steps) {
    const step = stored.get(spec.id);
    const status = step ? (NODE_STATUS[step.status] ?? "QUEUED") : over ? "SKIPPED" : "QUEUED";
    nodes[spec.id] = {
      status: over && (status === "QUEUED" || status === "RUNNING") ? "SKIPPED" : status,
      value: doc.step_outputs?.[spec.id] ?? null,
      error_message: step?.error?.message ?? null,
      raw_error_message: step?.error ? `${step.error.code}: ${step.error.message}` : null,
      is_output_node: outputs.has(spec.id),
    };
  }
  return nodes;
}

/**
 * The result of a run (read with step outputs). `allOutputs` undefined: what the run request
 * asked for (the WebSocket push and the callback).
 */
async function resultOf(runId: number, doc: RunDoc, allOutputs?: boolean): Promise<WorkflowResult> {
  const detail = await getRunDetailById(runId);
  if (!detail) throw new NotFoundError("Execution");
  const definition = await getDefinitionOfVersion(detail.versionId);
  const all = allOutputs ?? doc.metadata[RETURN_ALL_OUTPUTS_KEY] === "true";
  const finished = isFinalStatus(doc.status);
  if (finished && doc.status === "succeeded" && !all) return { finished, output: doc.outputs };
  if (!finished && !all) return { finished, output: null };
  return { finished, output: nodeMap(doc, definition) };
}

/** For the WebSocket (its token already proved access to this run): null for a run that is gone. */
export async function readRunResult(runId: number): Promise<WorkflowResult | null> {
  const doc = await getRunDocumentById(runId, { stepOutputs: true });
  return doc ? resultOf(runId, doc) : null;
}

/** A run of the actor's workspace by execution id (NotFound otherwise, also outside a key's bound workflow). */
async function executionOf(actor: Actor, id: number): Promise<RunDoc> {
  const doc = await getRunDocumentByNumber(actor, id, { stepOutputs: true });
  if (actor.binding && doc.workflow.id !== actor.binding.workflowId) throw new NotFoundError("Run");
  return doc;
}

const executionId = z.preprocess(
  (v) => (typeof v === "string" && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : v),
  z.number({ error: "Input should be a valid integer" }).int().positive().refine(Number.isSafeInteger),
);
const flag = z.preprocess(
  (v) => (typeof v === "string" ? ({ true: true, "1": true, false: false, "0": false } as Record<string, boolean>)[v.trim().toLowerCase()] ?? v : v),
  z.boolean(),
);

const resultsQuerySchema = z.object({ workflow_version_execution_id: executionId, return_all_outputs: flag.default(false) });

/** GET /workflow-version-execution-results: 200 once the run has ended, 202 while it runs. */
const results = compatRoute(product, async ({ req, actor }) => {
  const query = parseParams(resultsQuerySchema, Object.fromEntries(new URL(req.url).searchParams), "query");
  const doc = await executionOf(actor, query.workflow_version_execution_id);
  const result = await resultOf(query.workflow_version_execution_id, doc, query.return_all_outputs);
  return Response.json(result.output, { status: result.finished ? 200 : 202 });
});

// ---------------------------------------------------------------------------------------------
// WebSocket tokens: HMAC-signed, scoped to one workspace and one run, expiring.

const TOKEN_TTL_SEC = 24 * 60 * 60;

function tokenKey(): Buffer {
  const master = process.env.FLOWDECK_SECRET_KEY || process.env.AUTH_SECRET;
  if (!master) throw new Error("FLOWDECK_SECRET_KEY is not set");
  return createHmac("sha256", master).update("flowdeck-promptlayer-websocket").digest();
}

const sign = (payload: string) => createHmac("sha256", tokenKey()).update(payload).digest("base64url");

/** The channel the official client subscribes to for a run. */
export const channelOf = (runId: number) => `workflow_updates:${runId}`;

export interface WorkflowTokenClaims {
  workspaceId: number;
  runId: number;
  /** The API key that asked for the token: the socket works only while that key is not revoked. */
  apiKeyId: number;
  /** Unix seconds. */
  expiresAt: number;
}

interface IssueOptions {
  ttlSec?: number;
  now?: number;
}

/** A token that lets a WebSocket client follow one run of one workspace, while its key lives and until it expires. */
export function issueWorkflowToken(claims: { workspaceId: number; runId: number; apiKeyId: number }, options: IssueOptions = {}): string {
  const { ttlSec = TOKEN_TTL_SEC, now = Date.now() } = options;
  const body = { w: claims.workspaceId, r: claims.runId, k: claims.apiKeyId, e: Math.floor(now / 1000) + ttlSec };
  const payload = Buffer.from(JSON.stringify(body)).toString("base64url");
  return `${payload}.${sign(payload)}`;
}

/** The claims of a token this server signed; "expired" once past its time; null for anything else. */
export function verifyWorkflowToken(token: unknown, now = Date.now()): WorkflowTokenClaims | "expired" | null {
  if (typeof token !== "string" || token.length > 500) return null;
  const [payload, signature, extra] = token.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: { w?: unknown; r?: unknown; k?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const { w, r, k, e } = claims;
  if (![w, r, k, e].every(Number.isSafeInteger)) return null;
  if ((e as number) * 1000 <= now) return "expired";
  return { workspaceId: w as number, runId: r as number, apiKeyId: k as number, expiresAt: e as number };
}

const capabilitySchema = z.object({
  capability: z.string().regex(/^workflow_updates:\d{1,15}$/, "Expected workflow_updates:{workflow_version_execution_id}"),
});

/** POST /ws-token-request-library?capability=workflow_updates:{id} */
const wsToken = compatRoute(product, async ({ req, actor }) => {
  const { capability } = parseParams(capabilitySchema, Object.fromEntries(new URL(req.url).searchParams), "query");
  const runId = Number(capability.split(":")[1]);
  if (!Number.isSafeInteger(runId)) throw new ValidationError([{ loc: ["query", "capability"], msg: "Unknown execution", type: "value_error" }]);
  await executionOf(actor, runId);
  const apiKeyId = actor.apiKeyId;
  if (apiKeyId == null) throw new Error("PromptLayer routes authenticate with an API key");
  return Response.json({
    success: true,
    messaging_backend: "centrifugo",
    token_details: { token: issueWorkflowToken({ workspaceId: actor.workspaceId, runId, apiKeyId }) },
  });
});

// ---------------------------------------------------------------------------------------------
// Callbacks: PromptLayer's body for runs started here, still signed with X-Flowdeck-Signature.

registerCallbackBody("promptlayer", async (target, doc) => ({
  workflow_version_execution_id: target.id,
  final_output: (await resultOf(target.id, doc)).output,
}));

export const promptlayer = { run, results, wsToken };

export const promptlayerEndpoints: CompatEndpoint[] = [
  { method: "POST", path: "/workflows/:workflow_name/run", handler: run, file: "app/workflows/[workflow_name]/run/route.ts" },
  { method: "GET", path: "/workflow-version-execution-results", handler: results, file: "app/workflow-version-execution-results/route.ts" },
  { method: "POST", path: "/ws-token-request-library", handler: wsToken, file: "app/ws-token-request-library/route.ts" },
];
