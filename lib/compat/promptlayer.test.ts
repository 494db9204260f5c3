/**
 * PromptLayer's run-workflow API over real HTTP and a real WebSocket (startCompatTestServer,
 * real database, in-process executor): the official `promptlayer` client's runWorkflow by
 * name, label and version, with returnAllOutputs; raw requests checked against the seed
 * page's schemas; the results endpoint while running and after; callbacks; the token and
 * the Centrifugo-protocol WebSocket refusing what a token does not cover; errors and tenancy.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  // Short callback retry delays (read when the callbacks module loads).
  process.env.FLOWDECK_CALLBACK_BASE_DELAY_MS = "200";
});
import { PromptLayer } from "promptlayer";
import { WebSocket as WsWebSocket } from "ws";
import { z } from "zod";
import { db } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { demoWorkflows } from "../demo/workflows";
import { shutdownSandboxPool } from "../engine";
import { startTestServer, type TestServer } from "../net/test-server";
import type { Actor } from "../schemas/workspace";
import { createApiKey, revokeApiKey } from "../services/api-keys";
import { getSigningSecret, verifyCallbackSignature } from "../services/callbacks";
import { getRunDocumentByNumber } from "../services/run-documents";
import { startRunOnce } from "../services/runs";
import { createWorkflow, publishVersion, setLabel } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { startCompatTestServer, type CompatTestServer } from "./kit/test-server";
import { issueWorkflowToken, promptlayerEndpoints, RETURN_ALL_OUTPUTS_KEY, verifyWorkflowToken } from "./promptlayer";

// ---- The seed page's schemas (docs.promptlayer.com, "Run Workflow" and "Get Workflow Version Execution Results").
const runWorkflowResponse = z.object({
  success: z.boolean(),
  message: z.string(),
  warning: z.string().nullable().optional(),
  workflow_version_execution_id: z.number().int(),
});
const errorResponse = z.looseObject({ success: z.literal(false), message: z.string(), error: z.string() });
const validationError = z.object({
  detail: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })).min(1),
});
const nodeMap = z.record(
  z.string(),
  z.object({
    status: z.enum(["SUCCESS", "FAILURE", "SKIPPED", "QUEUED", "RUNNING"]),
    value: z.unknown(),
    error_message: z.string().nullable(),
    raw_error_message: z.string().nullable(),
    is_output_node: z.boolean(),
  }),
);
const tokenResponse = z.object({ messaging_backend: z.literal("centrifugo"), token_details: z.object({ token: z.string().min(20) }) });

// Node 20 has no global WebSocket, which the client's `centrifuge` dependency needs (Node 22+ has one).
const nativeWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
const useWsPackage = () => {
  if (!nativeWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = WsWebSocket;
};

let a: Actor;
let b: Actor;
let keyA: string;
let keyB: string;
let keyIdA: number;
let keyIdB: number;
let server: CompatTestServer;
let client: PromptLayer;

const greet = demoWorkflows.find((w) => w.name === "greet")!;

async function seedGreet(actor: Actor) {
  const [first, ...rest] = greet.versions;
  await createWorkflow(actor, { name: "greet", definition: first });
  for (const definition of rest) await publishVersion(actor, "greet", definition, "v2");
  for (const [label, version] of Object.entries(greet.labels)) await setLabel(actor, "greet", label, version);
}

const post = (path: string, body: unknown, key: string | null = keyA) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
const get = (path: string, key: string = keyA) => fetch(`${server.url}${path}`, { headers: { "x-api-key": key } });
/** A token as the token endpoint would issue it to key A (or B). */
const tokenA = (runId: number, options?: { ttlSec?: number; now?: number }) =>
  issueWorkflowToken({ workspaceId: a.workspaceId, runId, apiKeyId: keyIdA }, options);
const tokenB = (runId: number) => issueWorkflowToken({ workspaceId: b.workspaceId, runId, apiKeyId: keyIdB });
const results = (id: number, all: boolean, key = keyA) =>
  get(`/workflow-version-execution-results?workflow_version_execution_id=${id}&return_all_outputs=${all}`, key);

async function waitForEnd(actor: Actor, id: number, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const doc = await getRunDocumentByNumber(actor, id, { stepOutputs: true });
    if (["succeeded", "failed", "cancelled"].includes(doc.status)) return doc;
    if (Date.now() > until) throw new Error(`run ${id} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw Centrifugo-protocol client: sends frames, collects every reply line, and the close code. */
async function rawSocket() {
  const ws = new WsWebSocket(`${server.url.replace("http", "ws")}/connection/websocket`);
  const replies: Record<string, unknown>[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on("message", (data) => {
    for (const line of data.toString().split("\n")) if (line.trim()) replies.push(JSON.parse(line));
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return {
    replies,
    closed,
    send: (...commands: object[]) => ws.send(commands.map((c) => JSON.stringify(c)).join("\n")),
    waitFor: async (pred: (r: Record<string, unknown>) => boolean, ms = 5_000) => {
      const until = Date.now() + ms;
      while (!replies.some(pred)) {
        if (Date.now() > until) throw new Error(`no such reply in ${JSON.stringify(replies)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return replies.find(pred)!;
    },
    close: () => ws.close(),
  };
}

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "pl-a@example.test" } }),
    db.user.create({ data: { email: "pl-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "pl-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "pl-b", name: "B" });
  await seedGreet(a);
  await seedGreet(b);
  await createWorkflow(a, {
    name: "boom",
    definition: {
      inputs: [{ name: "n", type: "number", default: 1 }],
      steps: [
        { id: "prepare", kind: "template", config: { template: "n={{ inputs.n }}" } },
        { id: "explode", kind: "code", config: { code: "throw new Error('kaboom ' + steps.prepare.output);" } },
        { id: "after", kind: "template", config: { template: "{{ steps.explode.output }}" } },
      ],
      outputs: { result: "{{ steps.after.output }}" },
    },
  });
  await createWorkflow(a, {
    name: "slow",
    definition: {
      steps: [
        { id: "wait", kind: "delay", config: { ms: 1500 } },
        { id: "done", kind: "template", config: { template: "waited" }, needs: ["wait"] },
      ],
      outputs: { text: "{{ steps.done.output }}" },
    },
  });
  ({ key: keyA, id: keyIdA } = await createApiKey(a, { name: "PL A", role: "admin" }));
  ({ key: keyB, id: keyIdB } = await createApiKey(b, { name: "PL B", role: "admin" }));
  server = await startCompatTestServer(promptlayerEndpoints);
  client = new PromptLayer({ apiKey: keyA, baseURL: server.url });
});

afterAll(async () => {
  (globalThis as { WebSocket?: unknown }).WebSocket = nativeWebSocket;
  await server?.close();
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("the official client (promptlayer runWorkflow)", () => {
  it.runIf(!nativeWebSocket)("needs a WebSocket implementation on Node 20: without one it fails after starting the run", async () => {
    const before = await db.run.count({ where: { origin: "promptlayer" } });
    const error = await client.runWorkflow({ workflowName: "greet", inputVariables: { name: "NoSocket" } }).catch((e) => e);
    expect(String(error)).toContain("WebSocket constructor not found");
    // The run itself was accepted (the client fails only when it opens the socket).
    expect(await db.run.count({ where: { origin: "promptlayer" } })).toBe(before + 1);
    const last = await db.run.findFirstOrThrow({ where: { origin: "promptlayer" }, orderBy: { id: "desc" } });
    await waitForEnd(a, last.id);
  });

  it("runs the latest version by name and returns the final output", async () => {
    useWsPackage();
    const output = await client.runWorkflow({ workflowName: "greet", inputVariables: { name: "Ada", punctuation: "?" } });
    expect(output).toEqual({ greeting: "HELLO, ADA?", length: 11 });
    const run = await db.run.findFirstOrThrow({ where: { origin: "promptlayer" }, orderBy: { id: "desc" } });
    expect(run).toMatchObject({ workspaceId: a.workspaceId, versionNumber: 2, label: null, status: "succeeded" });
  });

  it("runs by label and by version number; input_variables are the run's inputs, metadata is stored", async () => {
    useWsPackage();
    const byLabel = await client.runWorkflow({
      workflowName: "greet", workflowLabelName: "production", inputVariables: { name: "Lin" }, metadata: { team: "growth", ticket: "T-1" },
    });
    expect(byLabel).toEqual({ greeting: "HELLO, LIN!", length: 11 });
    const labelRun = await db.run.findFirstOrThrow({ where: { origin: "promptlayer" }, orderBy: { id: "desc" } });
    expect(labelRun).toMatchObject({ versionNumber: 1, label: "production" });
    const labelDoc = await getRunDocumentByNumber(a, labelRun.id);
    expect(labelDoc.metadata).toEqual({ team: "growth", ticket: "T-1" });
    expect(labelDoc.inputs).toEqual({ name: "Lin" });
    expect(labelDoc.origin).toBe("promptlayer");

    const byVersion = await client.runWorkflow({ workflowName: "greet", workflowVersion: 2, inputVariables: { name: "Bo", punctuation: "." } });
    expect(byVersion).toEqual({ greeting: "HELLO, BO.", length: 10 });
    const versionRun = await db.run.findFirstOrThrow({ where: { origin: "promptlayer" }, orderBy: { id: "desc" } });
    expect(versionRun).toMatchObject({ versionNumber: 2, label: null });
    expect((await getRunDocumentByNumber(a, versionRun.id)).inputs).toEqual({ name: "Bo", punctuation: "." });
  });

  it("with returnAllOutputs returns every step: status, value, output node", async () => {
    useWsPackage();
    const all = nodeMap.parse(await client.runWorkflow({ workflowName: "greet", workflowLabelName: "staging", inputVariables: { name: "Kai" }, returnAllOutputs: true }));
    expect(Object.keys(all)).toEqual(["greet", "shout", "result"]);
    expect(all.greet).toEqual({ status: "SUCCESS", value: "Hello, Kai!", error_message: null, raw_error_message: null, is_output_node: false });
    expect(all.shout.value).toEqual({ greeting: "HELLO, KAI!", length: 11 });
    expect(all.result).toMatchObject({ status: "SUCCESS", value: { greeting: "HELLO, KAI!", length: 11 }, is_output_node: true });
    const run = await db.run.findFirstOrThrow({ where: { origin: "promptlayer" }, orderBy: { id: "desc" } });
    // The flag the WebSocket push and the callback read later.
    expect(JSON.parse(run.metadata)).toEqual({ [RETURN_ALL_OUTPUTS_KEY]: "true" });
  });

  it("a run that fails makes the client throw with the node map (the failing step and the skipped output node)", async () => {
    useWsPackage();
    const error = await client.runWorkflow({ workflowName: "boom" }).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    const map = nodeMap.parse(JSON.parse(String(error.message).replace(/^Error running workflow: /, "")));
    expect(map.prepare.status).toBe("SUCCESS");
    expect(map.explode).toMatchObject({ status: "FAILURE", value: null, is_output_node: false });
    expect(map.explode.error_message).toContain("kaboom n=1");
    expect(map.after).toMatchObject({ status: "SKIPPED", is_output_node: true });
  });

  it("errors come back in PromptLayer's shape: bad key, unknown workflow, label and version together", async () => {
    const bad = new PromptLayer({ apiKey: "pl_not_a_key", baseURL: server.url });
    expect(await bad.runWorkflow({ workflowName: "greet" })).toEqual({ success: false, message: "Failed to run workflow: Invalid API key" });
    expect(await client.runWorkflow({ workflowName: "nope" })).toEqual({ success: false, message: "Failed to run workflow: Workflow 'nope' not found" });
    const both = await client.runWorkflow({ workflowName: "greet", workflowLabelName: "production", workflowVersion: 1 });
    expect(both).toEqual({ success: false, message: "Failed to run workflow: Give workflow_label_name or workflow_version_number, not both" });
  });
});

describe("POST /workflows/{workflow_name}/run", () => {
  it("answers 201 with the execution id (the run's integer id) and a warning for unused inputs", async () => {
    const res = await post("/workflows/greet/run", { workflow_label_name: "production", input_variables: { name: "Raw", extra: 1 } });
    expect(res.status).toBe(201);
    const body = runWorkflowResponse.parse(await res.json());
    expect(body).toMatchObject({ success: true, message: "Workflow execution created successfully" });
    expect(body.warning).toMatch(/extra/);
    const run = await db.run.findUniqueOrThrow({ where: { id: body.workflow_version_execution_id } });
    expect(run).toMatchObject({ workspaceId: a.workspaceId, origin: "promptlayer", label: "production" });
    await waitForEnd(a, run.id);
  });

  it("refuses bad requests in PromptLayer's shape and stores nothing", async () => {
    const before = await db.run.count();
    const check = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      const body = await res.json();
      errorResponse.parse(body);
      if (status === 422) validationError.parse(body);
      return body;
    };
    await check(await post("/workflows/greet/run", {}, null), 401);
    await check(await post("/workflows/greet/run", {}, "pl_wrong"), 401);
    await check(await post("/workflows/missing/run", {}), 404);
    await check(await post("/workflows/My%20Flow/run", {}), 404);
    await check(await post("/workflows/greet/run", { workflow_label_name: "nope" }), 404);
    await check(await post("/workflows/greet/run", { workflow_version_number: 9 }), 404);
    const both = await check(await post("/workflows/greet/run", { workflow_label_name: "production", workflow_version_number: 1 }), 400);
    expect(both.error).toMatch(/not both/);
    const notObject = await check(await post("/workflows/greet/run", { input_variables: ["Ada"] }), 422);
    expect(notObject.detail[0].loc).toEqual(["body", "input_variables"]);
    const metadata = await check(await post("/workflows/greet/run", { metadata: { n: 1 } }), 422);
    expect(metadata.detail[0].loc).toEqual(["body", "metadata", "n"]);
    const wrongType = await check(await post("/workflows/boom/run", { input_variables: { n: "many" } }), 422);
    expect(wrongType.detail[0].loc).toContain("n");
    await check(await post("/workflows/greet/run", { callback_url: "ftp://example.com/x" }), 422);
    await check(await post("/workflows/greet/run", "{not json"), 400);
    // The numeric id or UUID of a workflow is not its name.
    const greetA = await db.workflow.findFirstOrThrow({ where: { workspaceId: a.workspaceId, name: "greet" } });
    await check(await post(`/workflows/${greetA.id}/run`, {}), 404);
    await check(await post(`/workflows/${greetA.uuid}/run`, {}), 404);
    expect(await db.run.count()).toBe(before);
  });

  it("is scoped to the key's workspace: another workspace's workflow is a 404, its own runs there", async () => {
    const before = await db.run.count({ where: { workspaceId: a.workspaceId } });
    expect((await post("/workflows/boom/run", {}, keyB)).status).toBe(404);
    const res = await post("/workflows/greet/run", { input_variables: { name: "B" } }, keyB);
    expect(res.status).toBe(201);
    const { workflow_version_execution_id: id } = runWorkflowResponse.parse(await res.json());
    expect((await db.run.findUniqueOrThrow({ where: { id } })).workspaceId).toBe(b.workspaceId);
    expect(await db.run.count({ where: { workspaceId: a.workspaceId } })).toBe(before);
    await waitForEnd(b, id);
  });
});

describe("GET /workflow-version-execution-results", () => {
  it("is 202 with the steps so far while the run is going, 200 with the result once it ended", async () => {
    const res = await post("/workflows/slow/run", {});
    const { workflow_version_execution_id: id } = runWorkflowResponse.parse(await res.json());

    const running = await results(id, true);
    expect(running.status).toBe(202);
    const partial = nodeMap.parse(await running.json());
    expect(partial.wait.status).toMatch(/RUNNING|QUEUED/);
    expect(partial.done).toMatchObject({ status: "QUEUED", value: null, is_output_node: true });
    const quiet = await results(id, false);
    expect(quiet.status).toBe(202);
    expect(await quiet.json()).toBeNull();

    await waitForEnd(a, id);
    const final = await results(id, false);
    expect(final.status).toBe(200);
    expect(await final.json()).toEqual({ text: "waited" });
    const all = await results(id, true);
    expect(all.status).toBe(200);
    const map = nodeMap.parse(await all.json());
    expect(map.done).toMatchObject({ status: "SUCCESS", value: "waited", is_output_node: true });
    expect(map.wait.status).toBe("SUCCESS");
  });

  it("refuses a bad key, bad parameters, unknown and foreign executions", async () => {
    const { run } = await startRunOnce(a, { workflow: "greet", origin: "api", inputs: { name: "x" } });
    await waitForEnd(a, run.id);
    expect((await results(run.id, false)).status).toBe(200);
    const foreign = await results(run.id, false, keyB);
    expect(foreign.status).toBe(404);
    errorResponse.parse(await foreign.json());
    expect((await results(run.id, false, "pl_wrong")).status).toBe(401);
    expect((await results(999_999, false)).status).toBe(404);
    const missing = await get("/workflow-version-execution-results");
    expect(missing.status).toBe(422);
    validationError.parse(await missing.json());
    expect((await get("/workflow-version-execution-results?workflow_version_execution_id=abc")).status).toBe(422);
    expect((await get(`/workflow-version-execution-results?workflow_version_execution_id=${run.id}&return_all_outputs=maybe`)).status).toBe(422);
    // Python's requests sends True/False.
    expect((await get(`/workflow-version-execution-results?workflow_version_execution_id=${run.id}&return_all_outputs=True`)).status).toBe(200);
  });
});

describe("callback_url", () => {
  it("answers 202 and POSTs {workflow_version_execution_id, final_output} when the run ends, signed", async () => {
    const receiver: TestServer = await startTestServer((_req, res) => res.writeHead(200).end("ok"));
    process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${receiver.port}`;
    try {
      const res = await post("/workflows/greet/run", { input_variables: { name: "Hook" }, callback_url: `${receiver.origin}/pl` });
      expect(res.status).toBe(202);
      const body = runWorkflowResponse.parse(await res.json());
      expect(body.message).toBe("Workflow execution accepted");
      const withAll = await post("/workflows/greet/run", { input_variables: { name: "All" }, callback_url: `${receiver.origin}/pl-all`, return_all_outputs: true });
      expect(withAll.status).toBe(202);
      const allId = runWorkflowResponse.parse(await withAll.json()).workflow_version_execution_id;
      // A run started through Flowdeck's own API keeps Flowdeck's callback body.
      const own = await startRunOnce(a, { workflow: "greet", origin: "api", inputs: { name: "Own" }, callbackUrl: `${receiver.origin}/own` });

      const until = Date.now() + 10_000;
      while (receiver.requests.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(receiver.requests).toHaveLength(3);
      const secret = await getSigningSecret(a);
      for (const seen of receiver.requests) {
        expect(verifyCallbackSignature(secret, seen.body, String(seen.headers["x-flowdeck-signature"]))).toBe(true);
      }
      const byPath = Object.fromEntries(receiver.requests.map((r) => [r.url, JSON.parse(r.body)]));
      expect(byPath["/pl"]).toEqual({ workflow_version_execution_id: body.workflow_version_execution_id, final_output: { greeting: "HELLO, HOOK!", length: 12 } });
      expect(byPath["/pl-all"].workflow_version_execution_id).toBe(allId);
      expect(nodeMap.parse(byPath["/pl-all"].final_output).result.value).toEqual({ greeting: "HELLO, ALL!", length: 11 });
      expect(byPath["/own"]).toMatchObject({ event: "run.finished", run: { id: own.run.uuid, status: "succeeded" } });
    } finally {
      delete process.env.FLOWDECK_FETCH_ALLOW;
      await receiver.close();
    }
  });
});

describe("the token and the WebSocket", () => {
  it("the token endpoint issues a token for the key's own executions only", async () => {
    const { run } = await startRunOnce(a, { workflow: "greet", origin: "promptlayer", inputs: { name: "T" } });
    const res = await post(`/ws-token-request-library?capability=workflow_updates:${run.id}`, undefined);
    expect(res.status).toBe(200);
    const { token_details } = tokenResponse.parse(await res.json());
    expect(verifyWorkflowToken(token_details.token)).toMatchObject({ workspaceId: a.workspaceId, runId: run.id, apiKeyId: keyIdA });
    const foreign = await post(`/ws-token-request-library?capability=workflow_updates:${run.id}`, undefined, keyB);
    expect(foreign.status).toBe(404);
    errorResponse.parse(await foreign.json());
    expect((await post(`/ws-token-request-library?capability=workflow_updates:${run.id}`, undefined, "pl_wrong")).status).toBe(401);
    expect((await post("/ws-token-request-library?capability=everything", undefined)).status).toBe(422);
    expect((await post("/ws-token-request-library?capability=workflow_updates:424242", undefined)).status).toBe(404);
    await waitForEnd(a, run.id);
  });

  it("speaks Centrifugo: connect and subscribe in one frame, then the result of a run that already ended", async () => {
    const { run } = await startRunOnce(a, { workflow: "greet", origin: "promptlayer", inputs: { name: "Sock" } });
    await waitForEnd(a, run.id);
    const socket = await rawSocket();
    socket.send({ connect: { token: tokenA(run.id), name: "js" }, id: 1 }, { subscribe: { channel: `workflow_updates:${run.id}` }, id: 2 });
    const connected = await socket.waitFor((r) => r.id === 1);
    expect(connected).toMatchObject({ id: 1, connect: { client: expect.any(String), ping: 25 } });
    expect(await socket.waitFor((r) => r.id === 2)).toEqual({ id: 2, subscribe: {} });
    const push = (await socket.waitFor((r) => "push" in r)) as { push: { channel: string; pub: { data: { message_name: string; data: string } } } };
    expect(push.push.channel).toBe(`workflow_updates:${run.id}`);
    expect(push.push.pub.data.message_name).toBe("SET_WORKFLOW_COMPLETE");
    expect(JSON.parse(push.push.pub.data.data)).toEqual({ result_code: "OK", final_output: { greeting: "HELLO, SOCK!", length: 12 } });
    // The push follows the subscribe reply.
    expect(socket.replies.findIndex((r) => "push" in r)).toBeGreaterThan(socket.replies.findIndex((r) => r.id === 2));
    socket.send({ unsubscribe: { channel: `workflow_updates:${run.id}` }, id: 3 });
    expect(await socket.waitFor((r) => r.id === 3)).toEqual({ id: 3, unsubscribe: {} });
    socket.close();
  });

  it("refuses a forged, tampered or expired token, and a channel the token does not cover", async () => {
    const { run } = await startRunOnce(a, { workflow: "greet", origin: "promptlayer", inputs: { name: "Mine" } });
    const { run: other } = await startRunOnce(b, { workflow: "greet", origin: "promptlayer", inputs: { name: "Theirs" } });
    await Promise.all([waitForEnd(a, run.id), waitForEnd(b, other.id)]);

    // Made up, or signed with another secret: the connection is closed as Centrifugo closes it.
    const forged = await rawSocket();
    const fake = Buffer.from(JSON.stringify({ w: a.workspaceId, r: run.id, k: keyIdA, e: 9_999_999_999 })).toString("base64url");
    forged.send({ connect: { token: `${fake}.${"A".repeat(43)}` }, id: 1 }, { subscribe: { channel: `workflow_updates:${run.id}` }, id: 2 });
    expect(await forged.closed).toEqual({ code: 3500, reason: "invalid token" });
    expect(forged.replies).toEqual([]);

    // A genuine token of B with its claims edited to A's run: the signature no longer matches.
    const [, signature] = tokenB(other.id).split(".");
    const tampered = await rawSocket();
    tampered.send({ connect: { token: `${fake}.${signature}` }, id: 1 });
    expect((await tampered.closed).code).toBe(3500);

    // B's own valid token cannot subscribe to A's run.
    const foreign = await rawSocket();
    foreign.send({ connect: { token: tokenB(other.id) }, id: 1 }, { subscribe: { channel: `workflow_updates:${run.id}` }, id: 2 });
    expect(await foreign.waitFor((r) => r.id === 2)).toEqual({ id: 2, error: { code: 103, message: "permission denied" } });
    await new Promise((r) => setTimeout(r, 200));
    expect(foreign.replies.some((r) => "push" in r)).toBe(false);
    foreign.close();

    const expired = await rawSocket();
    expired.send({ connect: { token: tokenA(run.id, { ttlSec: 60, now: Date.now() - 120_000 }) }, id: 1 });
    expect(await expired.waitFor((r) => r.id === 1)).toEqual({ id: 1, error: { code: 109, message: "token expired" } });
    expired.close();

    // Nothing before connect.
    const early = await rawSocket();
    early.send({ subscribe: { channel: `workflow_updates:${run.id}` }, id: 1 });
    expect((await early.closed).code).toBe(3501);

    expect(verifyWorkflowToken("garbage")).toBeNull();
    expect(verifyWorkflowToken(`${fake}.${signature}`)).toBeNull();
  });

  it("a token stops working when its key is revoked: at connect, and for a result still to come", async () => {
    const { key, id: keyId } = await createApiKey(a, { name: "PL short-lived", role: "admin" });
    const { run } = await startRunOnce(a, { workflow: "greet", origin: "promptlayer", inputs: { name: "Rev" } });
    const issued = await post(`/ws-token-request-library?capability=workflow_updates:${run.id}`, undefined, key);
    const { token } = tokenResponse.parse(await issued.json()).token_details;
    await waitForEnd(a, run.id);

    // Subscribed to a run that has not ended yet, then the key is revoked: no result is pushed.
    const res = await post("/workflows/slow/run", {}, key);
    const { workflow_version_execution_id: slowId } = runWorkflowResponse.parse(await res.json());
    const slowToken = tokenResponse.parse(await (await post(`/ws-token-request-library?capability=workflow_updates:${slowId}`, undefined, key)).json()).token_details.token;
    const waiting = await rawSocket();
    waiting.send({ connect: { token: slowToken }, id: 1 }, { subscribe: { channel: `workflow_updates:${slowId}` }, id: 2 });
    expect(await waiting.waitFor((r) => r.id === 2)).toEqual({ id: 2, subscribe: {} });

    await revokeApiKey(a, keyId);
    expect((await waiting.closed).code).toBe(3500);
    expect(waiting.replies.some((r) => "push" in r)).toBe(false);

    const late = await rawSocket();
    late.send({ connect: { token }, id: 1 }, { subscribe: { channel: `workflow_updates:${run.id}` }, id: 2 });
    expect(await late.closed).toEqual({ code: 3500, reason: "invalid token" });
    expect(late.replies).toEqual([]);
    // Another key's token of the same workspace still works.
    const fine = await rawSocket();
    fine.send({ connect: { token: tokenA(run.id) }, id: 1 }, { subscribe: { channel: `workflow_updates:${run.id}` }, id: 2 });
    expect(await fine.waitFor((r) => "push" in r)).toBeTruthy();
    fine.close();
  });

  it("a client subscribed before the run ends gets the result when it ends", async () => {
    const res = await post("/workflows/slow/run", {});
    const { workflow_version_execution_id: id } = runWorkflowResponse.parse(await res.json());
    const socket = await rawSocket();
    socket.send({ connect: { token: tokenA(id) }, id: 1 }, { subscribe: { channel: `workflow_updates:${id}` }, id: 2 });
    await socket.waitFor((r) => r.id === 2);
    expect(socket.replies.some((r) => "push" in r)).toBe(false);
    const push = (await socket.waitFor((r) => "push" in r, 8_000)) as { push: { pub: { data: { data: string } } } };
    expect(JSON.parse(push.push.pub.data.data).final_output).toEqual({ text: "waited" });
    expect((await db.run.findUniqueOrThrow({ where: { id } })).status).toBe("succeeded");
    socket.close();
  });
});
