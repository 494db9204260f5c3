/**
 * Vellum's execute API over real HTTP with the official `vellum-ai` client (which validates
 * every response field with its own schemas), plus raw requests checked against schemas
 * written from Vellum's documented responses. Real database, in-process executor, real
 * local servers for document URLs and for the LLM (scripts/fake-openai.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VellumClient, Vellum, VellumError } from "vellum-ai";
import { z } from "zod";
import { FAKE_OPENAI_API_KEY, startFakeOpenAI, type FakeOpenAI } from "../../scripts/fake-openai";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { startTestServer, type TestServer } from "../net/test-server";
import type { Actor } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { getRunDocument } from "../services/run-documents";
import { seedDemo } from "../services/demo-seed";
import { setSecret } from "../services/secrets";
import { createWorkflow, publishVersion } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { startCompatTestServer, type CompatTestServer } from "./kit/test-server";
import { vellumEndpoints } from "./vellum";

// ---- Vellum's documented shapes (API reference: Execute Workflow, Async, Stream, Status)
const ts = z.iso.datetime();
const valueTypes = z.enum(["STRING", "NUMBER", "JSON", "CHAT_HISTORY", "SEARCH_RESULTS", "ARRAY", "ERROR", "FUNCTION_CALL", "IMAGE", "AUDIO", "VIDEO", "DOCUMENT"]);
const errorCodes = z.enum([
  "WORKFLOW_INITIALIZATION", "WORKFLOW_CANCELLED", "WORKFLOW_TIMEOUT", "PROVIDER_CREDENTIALS_UNAVAILABLE", "INTEGRATION_CREDENTIALS_UNAVAILABLE",
  "NODE_EXECUTION_COUNT_LIMIT_REACHED", "INTERNAL_SERVER_ERROR", "NODE_EXECUTION", "NODE_CANCELLED", "NODE_TIMEOUT", "LLM_PROVIDER",
  "INVALID_TEMPLATE", "INVALID_INPUTS", "PROVIDER_QUOTA_EXCEEDED", "USER_DEFINED_ERROR",
]);
const workflowOutput = z.object({ id: z.string(), name: z.string(), type: valueTypes, value: z.unknown() });
const workflowError = z.object({ message: z.string(), code: errorCodes, raw_data: z.unknown().optional(), stacktrace: z.string().nullish() });
const resultEvent = z.discriminatedUnion("state", [
  z.object({ id: z.string(), state: z.literal("FULFILLED"), ts, outputs: z.array(workflowOutput) }),
  z.object({ id: z.string(), state: z.literal("REJECTED"), ts, error: workflowError }),
]);
const executeResponse = z.object({
  execution_id: z.string(), run_id: z.string().nullish(), external_id: z.string().nullish(), data: resultEvent,
});
const streamOutput = z.object({
  id: z.string().nullish(), name: z.string(), state: z.enum(["INITIATED", "STREAMING", "FULFILLED", "REJECTED"]),
  node_id: z.string().nullish(), delta: z.string().nullish(), type: valueTypes, value: z.unknown().optional(),
});
const workflowStreamEvent = z.object({
  execution_id: z.string(), run_id: z.string().nullish(), external_id: z.string().nullish(), type: z.literal("WORKFLOW"),
  data: z.object({
    id: z.string(), state: z.enum(["INITIATED", "STREAMING", "FULFILLED", "REJECTED"]), ts,
    output: streamOutput.nullish(), outputs: z.array(workflowOutput).nullish(), error: workflowError.nullish(),
  }),
});
const nodeOutputValue = z.object({ type: valueTypes, value: z.unknown().optional(), node_output_id: z.string() });
const nodeStreamEvent = z.object({
  execution_id: z.string(), external_id: z.string().nullish(), type: z.literal("NODE"),
  data: z.discriminatedUnion("state", [
    z.object({ id: z.string(), node_id: z.string(), node_result_id: z.string(), state: z.literal("INITIATED"), ts: ts.nullish() }),
    z.object({ id: z.string(), node_id: z.string(), node_result_id: z.string(), state: z.literal("STREAMING"), ts: ts.nullish(), output: nodeOutputValue.nullish() }),
    z.object({ id: z.string(), node_id: z.string(), node_result_id: z.string(), state: z.literal("FULFILLED"), ts: ts.nullish(), output_values: z.array(nodeOutputValue) }),
    z.object({ id: z.string(), node_id: z.string(), node_result_id: z.string(), state: z.literal("REJECTED"), ts: ts.nullish(), error: workflowError }),
  ]),
});
const streamEvent = z.union([workflowStreamEvent, nodeStreamEvent]);
const asyncResponse = z.strictObject({ execution_id: z.string() });
const statusResponse = z.object({
  execution_id: z.string(),
  status: z.enum(["INITIATED", "STREAMING", "FULFILLED", "REJECTED", "PENDING"]),
  outputs: z.record(z.string(), z.unknown()).nullish(),
  error: z.object({ message: z.string().nullish(), code: errorCodes.nullish() }).nullish(),
  execution_detail_url: z.string().nullish(),
});
const errorResponse = z.object({ detail: z.string().min(1) });

let a: Actor;
let b: Actor;
let keyA: string;
let keyB: string;
const uuids: Record<string, string> = {};
let server: CompatTestServer;
let files: TestServer;
let llm: FakeOpenAI;
let client: VellumClient;

const clientFor = (apiKey: string) =>
  new VellumClient({ apiKey, environment: { predict: server.url, default: server.url, documents: server.url } });

/** A raw request the way the client sends it. */
function post(path: string, body: unknown, key = keyA) {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, "x-api-version": "2025-07-30" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The error the client throws (or a failure if it did not throw). */
async function thrown(p: Promise<unknown>): Promise<VellumError> {
  const result = await p.then(() => null, (e: unknown) => e);
  expect(result).toBeInstanceOf(VellumError);
  return result as VellumError;
}

async function pollStatus(c: VellumClient, id: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    const status = await c.workflows.workflowExecutionStatus(id);
    seen.push(status.status);
    if (status.status === "FULFILLED" || status.status === "REJECTED") return { status, seen };
    if (Date.now() > until) throw new Error(`execution ${id} still ${status.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const counts = async () => ({ runs: await db.run.count(), files: await db.file.count() });

beforeAll(async () => {
  await applyMigrations();
  files = await startTestServer((req, res) => {
    if (req.url === "/notes.txt") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("words fetched from a URL");
    } else if (req.url === "/cities.csv") {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end("city,people\nLisbon,545000\nPorto,232000\n");
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  llm = await startFakeOpenAI({ port: 0, tokenDelayMs: 2 });
  process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${files.port},${new URL(llm.url).host}`;

  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "vellum-a@example.test" } }),
    db.user.create({ data: { email: "vellum-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "vellum-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "vellum-b", name: "B" });
  const greet = (word: string) => ({
    inputs: [{ name: "name", type: "text" }],
    steps: [{ id: "say", kind: "template", config: { template: `${word}, {{ inputs.name }}!` } }],
    outputs: { greeting: "{{ steps.say.output }}" },
  });
  const defs: Record<string, { definition: unknown; labels?: string[] }> = {
    greet: { definition: greet("Hello"), labels: ["production"] },
    kinds: {
      definition: {
        inputs: [
          { name: "who", type: "text" },
          { name: "count", type: "number", default: 2 },
          { name: "settings", type: "json", required: false },
          { name: "history", type: "json", required: false },
          { name: "loud", type: "boolean", default: false },
        ],
        steps: [
          {
            id: "shape", kind: "code",
            config: {
              code: "return { greeting: 'Hi ' + inputs.who, count: inputs.count * 2, settings: inputs.settings ?? null, list: [inputs.who, inputs.count, { deep: true }], loud: inputs.loud, history: inputs.history ?? [] };",
            },
          },
        ],
        outputs: {
          greeting: "{{ steps.shape.output.greeting }}", count: "{{ steps.shape.output.count }}",
          settings: "{{ steps.shape.output.settings }}", list: "{{ steps.shape.output.list }}",
          loud: "{{ steps.shape.output.loud }}", history: "{{ steps.shape.output.history }}",
        },
      },
    },
    boom: {
      definition: {
        inputs: [{ name: "name", type: "text", required: false }],
        steps: [
          { id: "first", kind: "template", config: { template: "ok" } },
          { id: "explode", kind: "code", needs: ["first"], config: { code: "throw new Error('kaboom');" } },
        ],
        outputs: { never: "{{ steps.explode.output }}" },
      },
    },
    doc: {
      definition: {
        inputs: [{ name: "document", type: "file", accept: [".txt", "text/plain"] }],
        steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } }],
        outputs: { text: "{{ steps.read.output.text }}", name: "{{ inputs.document.name }}" },
      },
    },
    slow: {
      definition: {
        steps: [{ id: "wait", kind: "delay", config: { ms: 600 } }, { id: "done", kind: "template", needs: ["wait"], config: { template: "done" } }],
        outputs: { result: "{{ steps.done.output }}" },
      },
    },
    ask: {
      definition: {
        inputs: [{ name: "question", type: "text" }],
        steps: [{ id: "answer", kind: "llm", config: { prompt: "{{ inputs.question }}" } }],
        outputs: { answer: "{{ steps.answer.output.text }}" },
      },
    },
  };
  for (const [name, { definition, labels }] of Object.entries(defs)) {
    uuids[name] = (await createWorkflow(a, { name, definition, labels })).uuid;
  }
  await publishVersion(a, "greet", greet("Howdy"), "v2", ["staging"]);
  uuids.otherGreet = (await createWorkflow(b, { name: "greet", definition: greet("Psst") })).uuid;
  await setSecret(a, "llm", JSON.stringify({ base_url: llm.url, api_key: FAKE_OPENAI_API_KEY, model: "fake-gpt" }));
  keyA = (await createApiKey(a, { name: "vellum", role: "member" })).key;
  keyB = (await createApiKey(b, { name: "vellum", role: "member" })).key;
  server = await startCompatTestServer(vellumEndpoints);
  client = clientFor(keyA);
});

afterAll(async () => {
  delete process.env.FLOWDECK_FETCH_ALLOW;
  await server?.close();
  await files?.close();
  await llm?.close();
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("execute-workflow", () => {
  it("runs by name and answers FULFILLED with typed outputs; the run is stored with origin vellum", async () => {
    const history = [{ role: "USER", text: "hi" }, { role: "ASSISTANT", text: "hello" }];
    const result = await client.executeWorkflow({
      workflowDeploymentName: "kinds",
      inputs: [
        { name: "who", type: "STRING", value: "Ada" },
        { name: "count", type: "NUMBER", value: 21 },
        { name: "settings", type: "JSON", value: { currency: "EUR", nested: [1, 2] } },
        { name: "history", type: "CHAT_HISTORY", value: history as Vellum.ChatMessageRequest[] },
        { name: "loud", type: "JSON", value: true },
      ],
      metadata: { user: "u-1", attempt: 3 },
    });
    expect(result.executionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.data.state).toBe("FULFILLED");
    if (result.data.state !== "FULFILLED") return;
    expect(result.data.ts).toBeInstanceOf(Date);
    const byName = Object.fromEntries(result.data.outputs.map((o) => [o.name, o]));
    expect(byName.greeting).toMatchObject({ type: "STRING", value: "Hi Ada" });
    expect(byName.count).toMatchObject({ type: "NUMBER", value: 42 });
    expect(byName.settings).toMatchObject({ type: "JSON", value: { currency: "EUR", nested: [1, 2] } });
    expect(byName.list).toMatchObject({
      type: "ARRAY",
      value: [{ type: "STRING", value: "Ada" }, { type: "NUMBER", value: 21 }, { type: "JSON", value: { deep: true } }],
    });
    expect(byName.loud).toMatchObject({ type: "JSON", value: true });
    expect(byName.history).toMatchObject({ type: "CHAT_HISTORY", value: history });
    expect(new Set(result.data.outputs.map((o) => o.id)).size).toBe(6);

    const doc = await getRunDocument(a, result.executionId);
    expect(doc).toMatchObject({ origin: "vellum", status: "succeeded", version: 1, metadata: { user: "u-1", attempt: "3" } });
    expect(doc.inputs).toMatchObject({ who: "Ada", count: 21, settings: { currency: "EUR", nested: [1, 2] }, loud: true });

    // The same request raw: the documented shape, and output ids stable across executions.
    const res = await post("/v1/execute-workflow", { workflow_deployment_id: uuids.kinds, inputs: [{ name: "who", type: "STRING", value: "Bo" }] });
    expect(res.status).toBe(200);
    const raw = executeResponse.parse(await res.json());
    expect(raw.data.state).toBe("FULFILLED");
    if (raw.data.state === "FULFILLED") {
      expect(raw.data.outputs.find((o) => o.name === "greeting")).toEqual({ ...byName.greeting, value: "Hi Bo" });
    }
  });

  it("answers REJECTED with the failing step's error for a failing workflow", async () => {
    const result = await client.executeWorkflow({ workflowDeploymentId: uuids.boom, inputs: [] });
    expect(result.data.state).toBe("REJECTED");
    if (result.data.state !== "REJECTED") return;
    expect(result.data.error.code).toBe("NODE_EXECUTION");
    expect(result.data.error.message).toMatch(/kaboom/);
    expect(result.data.error.rawData).toMatchObject({ step_id: "explode" });
    expect((await getRunDocument(a, result.executionId)).status).toBe("failed");
    const raw = executeResponse.parse(await (await post("/v1/execute-workflow", { workflow_deployment_name: "boom", inputs: [] })).json());
    expect(raw.data.state).toBe("REJECTED");
  });

  it("release_tag picks the label; LATEST (or none) is the latest version; an unknown tag is a 404", async () => {
    const say = async (releaseTag?: string) => {
      const r = await client.executeWorkflow({ workflowDeploymentName: "greet", releaseTag, inputs: [{ name: "name", type: "STRING", value: "Cy" }] });
      if (r.data.state !== "FULFILLED") throw new Error("not fulfilled");
      const doc = await getRunDocument(a, r.executionId);
      return [r.data.outputs[0].value, doc.version, doc.label];
    };
    expect(await say("production")).toEqual(["Hello, Cy!", 1, "production"]);
    expect(await say("staging")).toEqual(["Howdy, Cy!", 2, "staging"]);
    expect(await say("LATEST")).toEqual(["Howdy, Cy!", 2, null]);
    expect(await say()).toEqual(["Howdy, Cy!", 2, null]);
    const before = await counts();
    const err = await thrown(client.executeWorkflow({ workflowDeploymentName: "greet", releaseTag: "nope", inputs: [] }));
    expect(err).toBeInstanceOf(Vellum.NotFoundError);
    expect(errorResponse.parse(err.body).detail).toMatch(/nope/);
    expect(await counts()).toEqual(before);
  });

  it("external_id: a repeat returns the first execution; the same id with another request is a 400", async () => {
    const request = { workflowDeploymentName: "greet", externalId: "order-1", inputs: [{ name: "name", type: "STRING" as const, value: "Di" }] };
    const first = await client.executeWorkflow(request);
    const runs = await db.run.count();
    const again = await client.executeWorkflow(request);
    const viaAsync = await client.executeWorkflowAsync(request);
    expect(again.executionId).toBe(first.executionId);
    expect(viaAsync.executionId).toBe(first.executionId);
    expect(again.externalId).toBe("order-1");
    expect(await db.run.count()).toBe(runs);
    const clash = await thrown(client.executeWorkflow({ ...request, inputs: [{ name: "name", type: "STRING", value: "Other" }] }));
    expect(clash).toBeInstanceOf(Vellum.BadRequestError);
    expect(errorResponse.parse(clash.body).detail).toMatch(/external_id/);
    expect(await db.run.count()).toBe(runs);
  });

  it("past the server's blocking limit answers 409 with the execution id to poll (not a 5xx the client would retry)", async () => {
    process.env.FLOWDECK_BLOCKING_LIMIT_MS = "100";
    try {
      const runs = await db.run.count();
      const err = await thrown(client.executeWorkflow({ workflowDeploymentName: "slow", inputs: [] }));
      expect(err.statusCode).toBe(409);
      const body = errorResponse.extend({ execution_id: z.string() }).parse(err.body);
      expect(body.detail).toMatch(/still running/);
      expect(await db.run.count()).toBe(runs + 1); // one request, one run: no retries
      const { status } = await pollStatus(client, body.execution_id);
      expect(status.outputs).toEqual({ result: "done" });
    } finally {
      delete process.env.FLOWDECK_BLOCKING_LIMIT_MS;
    }
  });
});

describe("execute-workflow-stream", () => {
  it("streams INITIATED → FULFILLED with NODE events when asked, each line a whole JSON object", async () => {
    const stream = await client.executeWorkflowStream({
      workflowDeploymentName: "kinds", eventTypes: ["NODE", "WORKFLOW"], externalId: "stream-1",
      inputs: [{ name: "who", type: "STRING", value: "Eve" }],
    });
    const events: Vellum.WorkflowStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const workflow = events.filter((e) => e.type === "WORKFLOW");
    const node = events.filter((e) => e.type === "NODE");
    expect(workflow[0].data.state).toBe("INITIATED");
    const last = workflow.at(-1)!;
    expect(last.data.state).toBe("FULFILLED");
    expect(last.data.outputs?.find((o) => o.name === "greeting")?.value).toBe("Hi Eve");
    // Each output is announced FULFILLED in a STREAMING event before the end.
    const announced = workflow.filter((e) => e.data.state === "STREAMING").map((e) => e.data.output);
    expect(announced.map((o) => [o?.name, o?.state])).toContainEqual(["greeting", "FULFILLED"]);
    expect(node.map((e) => [e.data.nodeId, e.data.state])).toEqual([["shape", "INITIATED"], ["shape", "FULFILLED"]]);
    const fulfilledNode = node[1].data;
    if (fulfilledNode.state === "FULFILLED") expect(fulfilledNode.outputValues[0]).toMatchObject({ type: "JSON" });
    expect(events.every((e) => e.executionId === events[0].executionId && e.externalId === "stream-1")).toBe(true);
    expect(events.indexOf(node[0])).toBeGreaterThan(events.indexOf(workflow[0]));
    expect((await getRunDocument(a, events[0].executionId)).origin).toBe("vellum");
  });

  it("sends WORKFLOW events only by default; the raw body is NDJSON with no data: prefix", async () => {
    const res = await post("/v1/execute-workflow-stream", { workflow_deployment_name: "greet", inputs: [{ name: "name", type: "STRING", value: "Zoë" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/ndjson/);
    const text = await res.text();
    const lines = text.split("\n").filter((l) => l.trim());
    expect(lines.every((l) => l.startsWith("{"))).toBe(true);
    const events = lines.map((l) => streamEvent.parse(JSON.parse(l)));
    expect(events.every((e) => e.type === "WORKFLOW")).toBe(true);
    expect(events.map((e) => e.data.state)).toEqual(["INITIATED", "STREAMING", "FULFILLED"]);
    const end = events.at(-1)!.data as { outputs: { value: unknown }[] };
    expect(end.outputs[0].value).toBe("Howdy, Zoë!"); // non-ASCII survives the escaping
  });

  it("streams an LLM step's text as output deltas (WORKFLOW) and node output (NODE)", async () => {
    const stream = await client.executeWorkflowStream({
      workflowDeploymentName: "ask", eventTypes: ["WORKFLOW", "NODE"],
      inputs: [{ name: "question", type: "STRING", value: "what streams here?" }],
    });
    const events: Vellum.WorkflowStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltas = events.flatMap((e) =>
      e.type === "WORKFLOW" && e.data.state === "STREAMING" && e.data.output?.state === "STREAMING" ? [e.data.output.delta ?? ""] : []);
    expect(deltas.length).toBeGreaterThan(1);
    const end = events.at(-1)!;
    expect(end.data.state).toBe("FULFILLED");
    const answer = end.type === "WORKFLOW" ? end.data.outputs?.[0]?.value : null;
    expect(answer).toBe("Echo: what streams here?");
    expect(deltas.join("")).toBe(answer);
    expect(events.some((e) => e.type === "NODE" && e.data.state === "STREAMING")).toBe(true);
  });

  it("ends with REJECTED (and a rejected NODE) for a failing workflow", async () => {
    const res = await post("/v1/execute-workflow-stream", { workflow_deployment_name: "boom", inputs: [], event_types: ["WORKFLOW", "NODE"] });
    const events = (await res.text()).split("\n").filter(Boolean).map((l) => streamEvent.parse(JSON.parse(l)));
    const end = events.at(-1)!;
    expect(end).toMatchObject({ type: "WORKFLOW", data: { state: "REJECTED", error: { code: "NODE_EXECUTION" } } });
    expect(events).toContainEqual(expect.objectContaining({ type: "NODE", data: expect.objectContaining({ node_id: "explode", state: "REJECTED" }) }));
  });
});

describe("execute-workflow-async + status", () => {
  it("returns an execution id at once; status goes to FULFILLED with the outputs", async () => {
    const { executionId } = await client.executeWorkflowAsync({ workflowDeploymentName: "kinds", inputs: [{ name: "who", type: "STRING", value: "Fay" }] });
    const { status } = await pollStatus(client, executionId);
    expect(status).toMatchObject({ executionId, status: "FULFILLED" });
    expect(status.outputs).toMatchObject({ greeting: "Hi Fay", count: 4 });
    expect(status.executionDetailUrl).toBe(`/w/vellum-a/runs/${executionId}`);

    const raw = await post("/v1/execute-workflow-async", { workflow_deployment_name: "boom", inputs: [] });
    const { execution_id } = asyncResponse.parse(await raw.json());
    const { status: failed } = await pollStatus(client, execution_id);
    expect(failed.status).toBe("REJECTED");
    expect(failed.error).toMatchObject({ code: "NODE_EXECUTION" });
    const statusRaw = await fetch(`${server.url}/v1/workflows/executions/${execution_id}/status`, { headers: { "x-api-key": keyA } });
    expect(statusResponse.parse(await statusRaw.json())).toMatchObject({ status: "REJECTED", outputs: null });
  });

  it("reports a running execution as not final yet", async () => {
    const { executionId } = await client.executeWorkflowAsync({ workflowDeploymentName: "ask", inputs: [{ name: "question", type: "STRING", value: "tokens:200" }] });
    const first = await client.workflows.workflowExecutionStatus(executionId);
    expect(["INITIATED", "STREAMING"]).toContain(first.status);
    expect(first.outputs ?? null).toBeNull();
    expect((await pollStatus(client, executionId)).status.status).toBe("FULFILLED");
  });
});

describe("file inputs", () => {
  it("a DOCUMENT src URL is fetched into the file input; a data: URL is stored as an upload", async () => {
    const byUrl = await client.executeWorkflow({
      workflowDeploymentName: "doc", inputs: [{ name: "document", type: "DOCUMENT", value: { src: `${files.origin}/notes.txt` } }],
    });
    expect(byUrl.data.state === "FULFILLED" && byUrl.data.outputs.map((o) => [o.name, o.value])).toEqual([
      ["text", "words fetched from a URL"], ["name", "notes.txt"],
    ]);
    const inline = `data:text/plain;base64,${Buffer.from("inline words").toString("base64")}`;
    const byData = await client.executeWorkflow({
      workflowDeploymentName: "doc", inputs: [{ name: "document", type: "DOCUMENT", value: { src: inline, metadata: { filename: "memo.txt" } } }],
    });
    expect(byData.data.state === "FULFILLED" && byData.data.outputs.map((o) => o.value)).toEqual(["inline words", "memo.txt"]);
  });

  it("an unreachable document URL is a 400 and leaves nothing stored", async () => {
    const before = await counts();
    const err = await thrown(client.executeWorkflow({
      workflowDeploymentName: "doc", inputs: [{ name: "document", type: "DOCUMENT", value: { src: `${files.origin}/missing.txt` } }],
    }));
    expect(err).toBeInstanceOf(Vellum.BadRequestError);
    expect(errorResponse.parse(err.body).detail).toMatch(/404/);
    // A data: URL stored first, then refused for its type: removed again.
    const wrong = await thrown(client.executeWorkflow({
      workflowDeploymentName: "doc",
      inputs: [{ name: "document", type: "DOCUMENT", value: { src: "data:application/pdf;base64,JVBERi0=" } }],
    }));
    expect(wrong).toBeInstanceOf(Vellum.BadRequestError);
    expect(await counts()).toEqual(before);
  });
});

describe("errors", () => {
  it("a bad or missing key is a 401 with {detail}", async () => {
    const err = await thrown(clientFor("fd_not_a_real_key").executeWorkflow({ workflowDeploymentName: "greet", inputs: [] }));
    expect(err.statusCode).toBe(401);
    expect(errorResponse.parse(err.body).detail).toMatch(/API key/);
    const res = await fetch(`${server.url}/v1/execute-workflow-async`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    errorResponse.parse(await res.json());
    const status = await thrown(clientFor("fd_wrong").workflows.workflowExecutionStatus("00000000-0000-4000-8000-000000000000"));
    expect(status.statusCode).toBe(401);
  });

  it("an unknown deployment is a 404 (NotFoundError); unknown executions too", async () => {
    const byName = await thrown(client.executeWorkflow({ workflowDeploymentName: "no-such-workflow", inputs: [] }));
    expect(byName).toBeInstanceOf(Vellum.NotFoundError);
    errorResponse.parse(byName.body);
    const byId = await thrown(client.executeWorkflowStream({ workflowDeploymentId: "6f1f7c1e-0000-4000-8000-000000000000", inputs: [] }));
    expect(byId).toBeInstanceOf(Vellum.NotFoundError);
    expect(await thrown(client.workflows.workflowExecutionStatus("6f1f7c1e-0000-4000-8000-000000000000"))).toBeInstanceOf(Vellum.NotFoundError);
    expect(await thrown(client.workflows.workflowExecutionStatus("not-a-uuid"))).toBeInstanceOf(Vellum.NotFoundError);
  });

  it("bad input is a 400 with {detail} and stores nothing", async () => {
    const before = await counts();
    const cases: [unknown, RegExp][] = [
      [{ workflow_deployment_name: "greet", inputs: [] }, /name/], // required input missing
      [{ workflow_deployment_name: "greet", inputs: [{ name: "name", type: "NUMBER", value: 5 }] }, /text input.*STRING.*not NUMBER/],
      [{ workflow_deployment_name: "kinds", inputs: [{ name: "who", type: "STRING", value: "x" }, { name: "count", type: "NUMBER", value: "7" }] }, /inputs\.1\.value/],
      [{ workflow_deployment_name: "greet", inputs: [{ name: "name", type: "STRING", value: "a" }, { name: "name", type: "STRING", value: "b" }] }, /twice/],
      [{ inputs: [{ name: "name", type: "STRING", value: "x" }] }, /workflow_deployment_id or workflow_deployment_name/],
      [{ workflow_deployment_id: "greet", inputs: [] }, /UUID/],
      [{ workflow_deployment_name: "greet" }, /inputs/],
      [{ workflow_deployment_name: "greet", inputs: [{ name: "name", type: "STRING", value: "x" }], metadata: { big: "x".repeat(3000) } }, /metadata/],
      ["{not json", /JSON/i],
    ];
    for (const [body, message] of cases) {
      for (const path of ["/v1/execute-workflow", "/v1/execute-workflow-async", "/v1/execute-workflow-stream"]) {
        const res = await post(path, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(errorResponse.parse(await res.json()).detail).toMatch(message);
      }
    }
    const viaClient = await thrown(client.executeWorkflow({ workflowDeploymentName: "greet", inputs: [{ name: "name", type: "NUMBER", value: 1 }] }));
    expect(viaClient).toBeInstanceOf(Vellum.BadRequestError);
    expect(await counts()).toEqual(before);
  });

  it("a key bound to one workflow runs it (at its label) without naming it, and nothing else", async () => {
    const bound = clientFor((await createApiKey(a, { name: "bound", role: "member", workflow: "greet", label: "production" })).key);
    const r = await bound.executeWorkflow({ inputs: [{ name: "name", type: "STRING", value: "Ivy" }] });
    expect(r.data.state === "FULFILLED" && r.data.outputs[0].value).toBe("Hello, Ivy!");
    expect(await thrown(bound.executeWorkflow({ workflowDeploymentName: "kinds", inputs: [{ name: "who", type: "STRING", value: "x" }] })))
      .toBeInstanceOf(Vellum.NotFoundError);
    // It reads its own workflow's executions, not another workflow's in the same workspace.
    expect((await bound.workflows.workflowExecutionStatus(r.executionId)).status).toBe("FULFILLED");
    const kinds = await client.executeWorkflowAsync({ workflowDeploymentName: "kinds", inputs: [{ name: "who", type: "STRING", value: "y" }] });
    expect(await thrown(bound.workflows.workflowExecutionStatus(kinds.executionId))).toBeInstanceOf(Vellum.NotFoundError);
  });

  it("another workspace's deployments and executions are 404s", async () => {
    const other = clientFor(keyB);
    const mine = await client.executeWorkflowAsync({ workflowDeploymentName: "greet", inputs: [{ name: "name", type: "STRING", value: "Gil" }] });
    expect(await thrown(other.workflows.workflowExecutionStatus(mine.executionId))).toBeInstanceOf(Vellum.NotFoundError);
    const before = await counts();
    expect(await thrown(client.executeWorkflow({ workflowDeploymentId: uuids.otherGreet, inputs: [{ name: "name", type: "STRING", value: "x" }] })))
      .toBeInstanceOf(Vellum.NotFoundError);
    expect(await thrown(other.executeWorkflow({ workflowDeploymentId: uuids.kinds, inputs: [{ name: "who", type: "STRING", value: "x" }] })))
      .toBeInstanceOf(Vellum.NotFoundError);
    expect(await counts()).toEqual(before);
    // B's own workflow of the same name is B's.
    const theirs = await other.executeWorkflow({ workflowDeploymentName: "greet", inputs: [{ name: "name", type: "STRING", value: "Hal" }] });
    expect(theirs.data.state === "FULFILLED" && theirs.data.outputs[0].value).toBe("Psst, Hal!");
    await pollStatus(client, mine.executionId);
  });
});

describe("the demo workspace, as e2e/compat-vellum.spec.ts drives it", () => {
  let demo: VellumClient;
  beforeAll(async () => {
    process.env.FLOWDECK_DEMO_API_KEY = "fd_vellum_test_demo_key_0123456789";
    try {
      await seedDemo();
    } finally {
      delete process.env.FLOWDECK_DEMO_API_KEY;
    }
    demo = clientFor("fd_vellum_test_demo_key_0123456789");
  });

  const outputsOf = (data: Vellum.ExecuteWorkflowWorkflowResultEvent): Record<string, unknown[]> =>
    data.state === "FULFILLED" ? Object.fromEntries(data.outputs.map((o) => [o.name, [o.type, o.value]])) : { rejected: [data.error] };

  it("greet by tag: typed outputs; staging takes punctuation", async () => {
    const result = await demo.executeWorkflow({ workflowDeploymentName: "greet", releaseTag: "production", inputs: [{ name: "name", type: "STRING", value: "Ada" }] });
    expect(outputsOf(result.data)).toEqual({ greeting: ["STRING", "HELLO, ADA!"], length: ["NUMBER", 11] });
    const staging = await demo.executeWorkflow({
      workflowDeploymentName: "greet", releaseTag: "staging",
      inputs: [{ name: "name", type: "STRING", value: "Bo" }, { name: "punctuation", type: "STRING", value: "?" }],
    });
    expect(outputsOf(staging.data).greeting).toEqual(["STRING", "HELLO, BO?"]);
  });

  it("greet streamed with NODE events: one INITIATED/FULFILLED pair per step, in order", async () => {
    const stream = await demo.executeWorkflowStream({
      workflowDeploymentName: "greet", releaseTag: "production", eventTypes: ["NODE", "WORKFLOW"],
      inputs: [{ name: "name", type: "STRING", value: "Cy" }],
    });
    const events: Vellum.WorkflowStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) =>
      e.type === "NODE" ? `NODE ${e.data.nodeId} ${e.data.state}` : `WORKFLOW ${e.data.state}${e.data.output ? ` ${e.data.output.name}` : ""}`)).toEqual([
      "WORKFLOW INITIATED",
      "NODE greet INITIATED", "NODE greet FULFILLED",
      "NODE shout INITIATED", "NODE shout FULFILLED",
      "NODE result INITIATED", "NODE result FULFILLED",
      "WORKFLOW STREAMING greeting", "WORKFLOW STREAMING length",
      "WORKFLOW FULFILLED",
    ]);
    const end = events.at(-1)!;
    expect(end.type === "WORKFLOW" && end.data.outputs?.map((o) => o.value)).toEqual(["HELLO, CY!", 10]);
  });

  it("document-stats from a DOCUMENT src URL", async () => {
    const result = await demo.executeWorkflow({
      workflowDeploymentName: "document-stats", inputs: [{ name: "document", type: "DOCUMENT", value: { src: `${files.origin}/cities.csv` } }],
    });
    const outputs = outputsOf(result.data);
    expect(outputs.stats).toEqual(["JSON", expect.objectContaining({ format: "csv", rows: 2 })]);
    expect(outputs.report[0]).toBe("STRING");
    expect(String(outputs.report[1])).toContain("cities.csv");
  });

  it("release-pipeline async: not final at first, then FULFILLED with the notes", async () => {
    const { executionId } = await demo.executeWorkflowAsync({ workflowDeploymentName: "release-pipeline", inputs: [{ name: "release", type: "STRING", value: "v9" }] });
    const { status, seen } = await pollStatus(demo, executionId, 20_000);
    expect(seen[0]).toMatch(/^(INITIATED|STREAMING)$/);
    expect(String(status.outputs?.notes)).toContain("# v9");
    expect(status.executionDetailUrl).toBe(`/w/demo/runs/${executionId}`);
  }, 30_000);
});
