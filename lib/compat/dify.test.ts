/**
 * Dify's Workflow App API against the official `dify-client` (v2.3.2: CompletionClient.runWorkflow,
 * DifyClient.fileUpload, and its sendRequest for the calls it has no method for), over real
 * HTTP, a real database, the in-process executor and real local servers. Every answer is
 * checked against Dify's documented response schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompletionClient, DifyClient } from "dify-client";
import { z } from "zod";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { startTestServer, type TestServer } from "../net/test-server";
import type { Actor } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { getRunDocument } from "../services/run-documents";
import { setSecret } from "../services/secrets";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { FAKE_OPENAI_API_KEY, FAKE_OPENAI_MODEL, startFakeOpenAI, type FakeOpenAI } from "../../scripts/fake-openai";
import { difyEndpoints } from "./dify";
import { startCompatTestServer, type CompatTestServer } from "./kit/test-server";

// ── Dify's documented shapes (docs.dify.ai, Workflow App API) ─────────────────────────────
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const unix = z.number().int().gt(1_600_000_000).lt(4_000_000_000);
const status = z.enum(["running", "succeeded", "failed", "stopped"]);
const finishedData = z.object({
  id: uuid, workflow_id: uuid, status,
  outputs: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  elapsed_time: z.number().nullable(),
  total_tokens: z.number().int().nullable(),
  total_steps: z.number().int(),
  created_at: unix,
  finished_at: unix,
}).strict();
const completionSchema = z.object({ workflow_run_id: uuid, task_id: uuid, data: finishedData }).strict();
const detailSchema = z.object({
  id: uuid, workflow_id: uuid, status, inputs: z.string(),
  outputs: z.record(z.string(), z.unknown()).nullable(), error: z.string().nullable(),
  total_steps: z.number().int(), total_tokens: z.number().int(), created_at: unix, finished_at: unix.nullable(),
  elapsed_time: z.number().nullable(),
}).strict();
const errorSchema = z.object({ status: z.number().int(), code: z.string(), message: z.string().min(1) }).strict();
const fileSchema = z.object({
  id: uuid, name: z.string(), size: z.number().int(), extension: z.string(), mime_type: z.string(),
  created_by: z.string().nullable(), created_at: unix,
}).strict();
const base = { task_id: uuid, workflow_run_id: uuid };
const eventSchema = z.discriminatedUnion("event", [
  z.object({ ...base, event: z.literal("workflow_started"), data: z.object({ id: uuid, workflow_id: uuid, inputs: z.record(z.string(), z.unknown()), created_at: unix }) }),
  z.object({
    ...base, event: z.literal("node_started"),
    data: z.object({ id: uuid, node_id: z.string(), node_type: z.string(), title: z.string(), index: z.number().int(), predecessor_node_id: z.string().nullable(), inputs: z.unknown(), created_at: unix }),
  }),
  z.object({ ...base, event: z.literal("text_chunk"), data: z.object({ text: z.string(), from_variable_selector: z.array(z.string()) }) }),
  z.object({
    ...base, event: z.literal("node_finished"),
    data: z.object({
      id: uuid, node_id: z.string(), node_type: z.string(), title: z.string(), index: z.number().int(), predecessor_node_id: z.string().nullable(),
      inputs: z.unknown(), process_data: z.unknown(), outputs: z.record(z.string(), z.unknown()).nullable(), status, error: z.string().nullable(),
      elapsed_time: z.number(), execution_metadata: z.object({ total_tokens: z.number().int() }), created_at: unix, finished_at: unix,
    }),
  }),
  z.object({ ...base, event: z.literal("workflow_finished"), data: finishedData }),
]);
type DifyEvent = z.infer<typeof eventSchema>;

// ── Set-up: two workspaces, bound keys, a file server and a fake LLM provider ─────────────
let a: Actor;
let b: Actor;
let server: CompatTestServer;
let files: TestServer;
let llm: FakeOpenAI;
const keys = {} as Record<"greet" | "doc" | "docs" | "slow" | "chat" | "unbound" | "otherGreet", string>;
const USER = "end-user-7";

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "dify-a@example.test" } }),
    db.user.create({ data: { email: "dify-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "dify-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "dify-b", name: "B" });
  const greet = {
    inputs: [{ name: "name", type: "text" }],
    steps: [
      { id: "hello", kind: "template", name: "Say hello", config: { template: "Hello, {{ inputs.name }}!" } },
      { id: "shape", kind: "transform", config: { expression: "{ 'greeting': steps.hello.output }" } },
    ],
    outputs: { greeting: "{{ steps.shape.output.greeting }}" },
  };
  for (const actor of [a, b]) await createWorkflow(actor, { name: "greet", definition: greet, labels: ["production"] });
  await createWorkflow(a, {
    name: "doc",
    definition: {
      inputs: [{ name: "document", type: "file", accept: [".txt", "text/plain"] }],
      steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } }],
      outputs: { text: "{{ steps.read.output.text }}" },
    },
  });
  await createWorkflow(a, {
    name: "docs",
    definition: {
      inputs: [{ name: "papers", type: "file_list" }],
      steps: [{ id: "names", kind: "transform", config: { expression: "{ 'names': inputs.papers.name, 'count': $count(inputs.papers) }" } }],
      outputs: { names: "{{ steps.names.output.names }}", count: "{{ steps.names.output.count }}" },
    },
  });
  await createWorkflow(a, { name: "slow", definition: { steps: [{ id: "wait", kind: "delay", config: { ms: 5000 } }] } });
  await createWorkflow(a, {
    name: "chat",
    definition: {
      inputs: [{ name: "question", type: "text" }],
      steps: [{ id: "answer", kind: "llm", config: { prompt: "{{ inputs.question }}" } }],
      outputs: { answer: "{{ steps.answer.output.text }}" },
    },
  });
  const bind = async (actor: Actor, workflow: string | null, label: string | null = null) =>
    (await createApiKey(actor, { name: `dify ${workflow}`, workflow, label })).key;
  keys.greet = await bind(a, "greet", "production");
  keys.doc = await bind(a, "doc");
  keys.docs = await bind(a, "docs");
  keys.slow = await bind(a, "slow");
  keys.chat = await bind(a, "chat");
  keys.unbound = await bind(a, null);
  keys.otherGreet = await bind(b, "greet", "production");

  server = await startCompatTestServer(difyEndpoints);
  files = await startTestServer((req, res) => {
    if (req.url === "/remote.txt") res.writeHead(200, { "content-type": "text/plain" }).end("words from afar");
    else if (req.url === "/b.txt") res.writeHead(200, { "content-type": "text/plain" }).end("second");
    else res.writeHead(404).end();
  });
  llm = await startFakeOpenAI({ host: "127.0.0.1" });
  process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${files.port},${new URL(llm.url).host}`;
  await setSecret(a, "llm", JSON.stringify({ base_url: llm.url, api_key: FAKE_OPENAI_API_KEY, model: FAKE_OPENAI_MODEL }));
});

afterAll(async () => {
  await server?.close();
  await files?.close();
  await llm?.close();
  await shutdownSandboxPool();
  await db.$disconnect();
});

const baseUrl = () => `${server.url}/v1`;
/** index.d.ts of dify-client 2.3.2 leaves out runWorkflow, which index.js has. */
type WorkflowRunner = CompletionClient & {
  runWorkflow(inputs: Record<string, unknown>, user: string, stream?: boolean): Promise<{ status: number; data: any; headers: Record<string, unknown> }>;
};
const client = (key: string) => new CompletionClient(key, baseUrl()) as WorkflowRunner;

/** An axios failure's status and Dify error body (checked against the schema). */
async function failure(promise: Promise<unknown>) {
  const error = (await promise.then(() => null, (e: unknown) => e)) as { response?: { status: number; data: unknown } } | null;
  if (!error?.response) throw new Error("expected the request to fail with an HTTP error");
  return { status: error.response.status, body: errorSchema.parse(error.response.data) };
}

/** Reads a dify-client streaming response (a Node stream) to the end: Dify events and pings. */
async function readStream(stream: NodeJS.ReadableStream, onEvent?: (e: DifyEvent) => void | Promise<void>) {
  const events: DifyEvent[] = [];
  let pings = 0;
  let buffer = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buffer += chunk.toString("utf8");
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (frame === "event: ping") pings += 1;
      else if (frame.startsWith("data: ")) {
        const event = eventSchema.parse(JSON.parse(frame.slice(6)));
        events.push(event);
        await onEvent?.(event);
      } else throw new Error(`unexpected SSE frame ${JSON.stringify(frame)}`);
    }
  }
  expect(buffer).toBe("");
  return { events, pings };
}

async function storedRun(uuid: string) {
  return db.run.findUniqueOrThrow({ where: { uuid }, select: { origin: true, label: true, metadata: true, workspaceId: true } });
}

describe("Dify workflow runs through the official client", () => {
  it("blocking: runs the key's bound workflow at its label and answers Dify's completion shape", async () => {
    const res = await client(keys.greet).runWorkflow({ name: "Ada" }, USER);
    expect(res.status).toBe(200);
    const body = completionSchema.parse(res.data);
    expect(body.task_id).toBe(body.workflow_run_id);
    expect(body.data).toMatchObject({ id: body.workflow_run_id, status: "succeeded", outputs: { greeting: "Hello, Ada!" }, error: null, total_steps: 2 });
    expect(body.data.finished_at).toBeGreaterThanOrEqual(body.data.created_at);
    const run = await storedRun(body.workflow_run_id);
    expect(run).toMatchObject({ origin: "dify", label: "production", workspaceId: a.workspaceId });
    expect(JSON.parse(run.metadata)).toEqual({ user: USER });
    const doc = await getRunDocument(a, body.workflow_run_id);
    expect(body.data.workflow_id).toBe(doc.workflow.uuid);
  });

  it("streaming: workflow_started, nodes in order, workflow_finished with the outputs, then the stream closes", async () => {
    const res = await client(keys.greet).runWorkflow({ name: "Bo" }, USER, true);
    expect(res.status).toBe(200);
    expect(String(res.headers["content-type"])).toMatch(/^text\/event-stream/);
    const { events } = await readStream(res.data);
    expect(events.map((e) => `${e.event}${"node_id" in e.data ? `:${e.data.node_id}` : ""}`)).toEqual([
      "workflow_started", "node_started:hello", "node_finished:hello", "node_started:shape", "node_finished:shape", "workflow_finished",
    ]);
    const runId = events[0].workflow_run_id;
    expect(events.every((e) => e.workflow_run_id === runId && e.task_id === runId)).toBe(true);
    const [started, helloStart, helloEnd] = events;
    expect(started.data).toMatchObject({ id: runId, inputs: { name: "Bo" } });
    expect(helloStart.data).toMatchObject({ node_type: "template", title: "Say hello", index: 1 });
    expect(helloEnd.data).toMatchObject({ id: (helloStart.data as { id: string }).id, status: "succeeded", outputs: { output: "Hello, Bo!" }, index: 1 });
    const finished = events.at(-1)!;
    expect(finished.data).toMatchObject({ id: runId, status: "succeeded", outputs: { greeting: "Hello, Bo!" }, total_steps: 2, error: null });
    expect((await storedRun(runId)).origin).toBe("dify");
  });

  it("streaming an LLM step: its text arrives as text_chunk events between node_started and node_finished", async () => {
    const res = await client(keys.chat).runWorkflow({ question: "tokens:5" }, USER, true);
    const { events } = await readStream(res.data);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("workflow_started");
    expect(names.at(-1)).toBe("workflow_finished");
    const chunks = events.filter((e) => e.event === "text_chunk");
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(names.indexOf("text_chunk")).toBeGreaterThan(names.indexOf("node_started"));
    expect(names.lastIndexOf("text_chunk")).toBeLessThan(names.indexOf("node_finished"));
    const text = chunks.map((c) => c.data.text).join("");
    expect(chunks[0].data.from_variable_selector).toEqual(["answer", "text"]);
    expect(events.at(-1)!.data).toMatchObject({ status: "succeeded", outputs: { answer: text } });
    expect(text.trim().split(/\s+/)).toHaveLength(5);
  });

  it("upload with fileUpload, then run with a local_file input", async () => {
    const form = new FormData();
    form.append("file", new Blob(["uploaded words"], { type: "text/plain" }), "notes.txt");
    form.append("user", USER);
    const up = await new DifyClient(keys.doc, baseUrl()).fileUpload(form);
    expect(up.status).toBe(201);
    const file = fileSchema.parse(up.data);
    expect(file).toMatchObject({ name: "notes.txt", size: 14, extension: "txt", mime_type: "text/plain", created_by: USER });

    const res = await client(keys.doc).runWorkflow({ document: { type: "document", transfer_method: "local_file", upload_file_id: file.id } }, USER);
    const body = completionSchema.parse(res.data);
    expect(body.data).toMatchObject({ status: "succeeded", outputs: { text: "uploaded words" } });
  });

  it("remote_url inputs are fetched by the server, one file or a list for a file-list input", async () => {
    const one = completionSchema.parse((await client(keys.doc).runWorkflow(
      { document: { type: "document", transfer_method: "remote_url", url: `${files.origin}/remote.txt` } }, USER)).data);
    expect(one.data).toMatchObject({ status: "succeeded", outputs: { text: "words from afar" } });

    const form = new FormData();
    form.append("file", new Blob(["first"], { type: "text/plain" }), "a.txt");
    const uploaded = fileSchema.parse((await new DifyClient(keys.docs, baseUrl()).fileUpload(form)).data);
    const list = completionSchema.parse((await client(keys.docs).runWorkflow({
      papers: [
        { type: "document", transfer_method: "local_file", upload_file_id: uploaded.id },
        { type: "document", transfer_method: "remote_url", url: `${files.origin}/b.txt` },
      ],
    }, USER)).data);
    expect(list.data).toMatchObject({ status: "succeeded", outputs: { names: ["a.txt", "b.txt"], count: 2 } });
  });

  it("run detail: Dify's shape with the inputs as a JSON string; an unknown id is a 404", async () => {
    const started = completionSchema.parse((await client(keys.greet).runWorkflow({ name: "Cy" }, USER)).data);
    const res = await client(keys.greet).sendRequest("GET", `/workflows/run/${started.workflow_run_id}`);
    const detail = detailSchema.parse(res.data);
    expect(detail).toMatchObject({ id: started.workflow_run_id, status: "succeeded", outputs: { greeting: "Hello, Cy!" }, total_steps: 2 });
    expect(JSON.parse(detail.inputs)).toEqual({ name: "Cy" });
    expect(detail.created_at).toBe(started.data.created_at);

    const missing = await failure(client(keys.greet).sendRequest("GET", "/workflows/run/00000000-0000-4000-8000-000000000000"));
    expect(missing).toMatchObject({ status: 404, body: { status: 404, code: "not_found" } });
  });

  it("stop: a running task ends stopped; the stream pings while idle and closes after workflow_finished", async () => {
    process.env.FLOWDECK_DIFY_PING_MS = "100";
    try {
      const c = client(keys.slow);
      const res = await c.runWorkflow({}, USER, true);
      let stopped: unknown = null;
      const { events, pings } = await readStream(res.data, async (e) => {
        if (e.event === "node_started") {
          await new Promise((r) => setTimeout(r, 350)); // long enough for a few pings
          stopped = (await c.sendRequest("POST", `/workflows/tasks/${e.task_id}/stop`, { user: USER })).data;
        }
      });
      expect(stopped).toEqual({ result: "success" });
      expect(pings).toBeGreaterThanOrEqual(2);
      expect(events.map((e) => e.event)).toEqual(["workflow_started", "node_started", "node_finished", "workflow_finished"]);
      expect(events[2].data).toMatchObject({ node_id: "wait", status: "stopped" });
      const finished = events[3];
      expect(finished.data).toMatchObject({ status: "stopped" });
      expect((finished.data as { elapsed_time: number }).elapsed_time).toBeLessThan(4);
      const detail = detailSchema.parse((await c.sendRequest("GET", `/workflows/run/${finished.workflow_run_id}`)).data);
      expect(detail.status).toBe("stopped");
      // Stopping a task that has ended is still a success.
      expect((await c.sendRequest("POST", `/workflows/tasks/${finished.task_id}/stop`, { user: USER })).data).toEqual({ result: "success" });
    } finally {
      delete process.env.FLOWDECK_DIFY_PING_MS;
    }
  });

  it("blocking past the server's limit answers with the run still running (finished_at null), which can then be stopped", async () => {
    process.env.FLOWDECK_BLOCKING_LIMIT_MS = "150";
    try {
      const c = client(keys.slow);
      const res = await c.runWorkflow({}, USER);
      const body = completionSchema.extend({ data: finishedData.extend({ finished_at: unix.nullable() }) }).parse(res.data);
      expect(body.data).toMatchObject({ status: "running", outputs: null, finished_at: null });
      await c.sendRequest("POST", `/workflows/tasks/${body.task_id}/stop`, { user: USER });
      let detail = detailSchema.parse((await c.sendRequest("GET", `/workflows/run/${body.workflow_run_id}`)).data);
      for (let i = 0; detail.status === "running" && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        detail = detailSchema.parse((await c.sendRequest("GET", `/workflows/run/${body.workflow_run_id}`)).data);
      }
      expect(detail).toMatchObject({ status: "stopped", outputs: {} });
      expect(detail.error).toMatch(/cancel/i);
      expect(detail.finished_at).not.toBeNull();
    } finally {
      delete process.env.FLOWDECK_BLOCKING_LIMIT_MS;
    }
  });
});

describe("Dify errors", () => {
  it("a bad or missing key is a 401 in Dify's shape", async () => {
    const bad = await failure(client("fd_not_a_real_key_000000000000000").runWorkflow({ name: "x" }, USER));
    expect(bad).toMatchObject({ status: 401, body: { status: 401, code: "unauthorized" } });
    const res = await fetch(`${baseUrl()}/workflows/run`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(errorSchema.parse(await res.json()).code).toBe("unauthorized");
  });

  it("an unbound key gets a 400 app_unavailable telling how to bind it, and nothing is stored", async () => {
    const before = await db.run.count();
    const res = await failure(client(keys.unbound).runWorkflow({ name: "x" }, USER));
    expect(res).toMatchObject({ status: 400, body: { status: 400, code: "app_unavailable" } });
    expect(res.body.message).toMatch(/not bound to a workflow/);
    expect(res.body.message).toMatch(/api-keys/);
    expect(await db.run.count()).toBe(before);
  });

  it("bad input is a 400 invalid_param naming the field, and nothing is stored", async () => {
    const runs = await db.run.count();
    const stored = await db.file.count();
    const cases: [string, unknown][] = [
      ["missing required input", { inputs: {}, response_mode: "blocking", user: USER }],
      ["wrong type", { inputs: { name: 42 }, response_mode: "blocking", user: USER }],
      ["no user", { inputs: { name: "x" }, response_mode: "blocking" }],
      ["bad response_mode", { inputs: { name: "x" }, response_mode: "sometimes", user: USER }],
      ["no inputs", { response_mode: "blocking", user: USER }],
    ];
    for (const [what, body] of cases) {
      const res = await fetch(`${baseUrl()}/workflows/run`, {
        method: "POST", headers: { authorization: `Bearer ${keys.greet}`, "content-type": "application/json" }, body: JSON.stringify(body),
      });
      const error = errorSchema.parse(await res.json());
      expect([what, res.status, error.code]).toEqual([what, 400, "invalid_param"]);
    }
    const wrongType = await failure(client(keys.greet).runWorkflow({ name: 42 }, USER));
    expect(wrongType.body.message).toMatch(/^inputs\.name: /);

    // File inputs: a malformed file object, an unknown upload id, a URL that cannot be fetched.
    for (const document of [
      { type: "document", transfer_method: "local_file" },
      { type: "document", transfer_method: "by_pigeon", url: "x" },
      { type: "document", transfer_method: "local_file", upload_file_id: "00000000-0000-4000-8000-000000000000" },
      { type: "document", transfer_method: "remote_url", url: `${files.origin}/missing.txt` },
    ]) {
      const res = await failure(client(keys.doc).runWorkflow({ document }, USER));
      expect(res).toMatchObject({ status: 400, body: { code: "invalid_param" } });
      expect(res.body.message).toMatch(/^inputs\.document/);
    }
    expect(await db.run.count()).toBe(runs);
    expect(await db.file.count()).toBe(stored);

    const badJson = await fetch(`${baseUrl()}/workflows/run`, {
      method: "POST", headers: { authorization: `Bearer ${keys.greet}`, "content-type": "application/json" }, body: "{nope",
    });
    expect([badJson.status, errorSchema.parse(await badJson.json()).code]).toEqual([400, "bad_request"]);
  });

  it("upload without a file is a 400 no_file_uploaded", async () => {
    const form = new FormData();
    form.append("user", USER);
    const res = await failure(new DifyClient(keys.doc, baseUrl()).fileUpload(form));
    expect(res).toMatchObject({ status: 400, body: { code: "no_file_uploaded" } });
  });

  it("a key of another workspace, or bound to another workflow, cannot see or stop a run (404)", async () => {
    const mine = completionSchema.parse((await client(keys.greet).runWorkflow({ name: "Di" }, USER)).data);
    const path = `/workflows/run/${mine.workflow_run_id}`;
    for (const key of [keys.otherGreet, keys.doc]) {
      const seen = await failure(client(key).sendRequest("GET", path));
      expect(seen).toMatchObject({ status: 404, body: { status: 404, code: "not_found" } });
      const stop = await failure(client(key).sendRequest("POST", `/workflows/tasks/${mine.task_id}/stop`, { user: USER }));
      expect(stop.status).toBe(404);
    }
    // Its own workspace's unbound key may read it (it is not tied to one app).
    expect(detailSchema.parse((await client(keys.unbound).sendRequest("GET", path)).data).id).toBe(mine.workflow_run_id);
    // The other workspace's key runs its own greet, not this one.
    const theirs = completionSchema.parse((await client(keys.otherGreet).runWorkflow({ name: "Ed" }, USER)).data);
    expect((await storedRun(theirs.workflow_run_id)).workspaceId).toBe(b.workspaceId);
  });
});
