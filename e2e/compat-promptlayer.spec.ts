/**
 * PromptLayer's run-workflow API against the production server (scripts/server.ts: Next.js
 * plus the Centrifugo-protocol WebSocket), with the demo workflow `greet` (production → v1,
 * staging → v2): the official `promptlayer` client's runWorkflow by name, label, version and
 * with returnAllOutputs; the results endpoint; callback_url; the WebSocket refusing a forged
 * token and a channel the token does not cover; errors that store nothing; tenancy; and the
 * run in the console with its origin. Mirrors lib/compat/promptlayer.test.ts.
 */
import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { createHmac, timingSafeEqual } from "node:crypto";
import path from "node:path";
import { PromptLayer } from "promptlayer";
import { WebSocket as WsWebSocket } from "ws";
import { z } from "zod";
import { auth, BASE, createOtherWorkspace, KEY, startReceiver } from "./api-helpers";
import { countRows, signIn } from "./helpers";

// Node 20 has no global WebSocket, which the client's `centrifuge` dependency needs.
if (!(globalThis as { WebSocket?: unknown }).WebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = WsWebSocket;

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

const pl = { "x-api-key": KEY, "content-type": "application/json" };
const client = () => new PromptLayer({ apiKey: KEY, baseURL: BASE });

/** The run behind an execution id, read from the e2e server's database (the API addresses runs by UUID). */
function runRow(id: number): { uuid: string; origin: string; versionNumber: number; label: string | null } {
  const db = new Database(path.resolve("data/e2e/flowdeck.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT "uuid", "origin", "versionNumber", "label" FROM "Run" WHERE "id" = ?').get(id) as ReturnType<typeof runRow>;
  } finally {
    db.close();
  }
}

/** The newest PromptLayer run's execution id. */
function lastPromptLayerRun(): number {
  const db = new Database(path.resolve("data/e2e/flowdeck.db"), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT max("id") AS id FROM "Run" WHERE "origin" = 'promptlayer'`).get() as { id: number }).id;
  } finally {
    db.close();
  }
}

/** A raw Centrifugo-protocol WebSocket: every reply line, and the close code. */
async function rawSocket() {
  const ws = new WsWebSocket(`${BASE.replace("http", "ws")}/connection/websocket`);
  const replies: Record<string, unknown>[] = [];
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("message", (data) => {
    for (const line of data.toString().split("\n")) if (line.trim()) replies.push(JSON.parse(line));
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return { ws, replies, closed, send: (...commands: object[]) => ws.send(commands.map((c) => JSON.stringify(c)).join("\n")) };
}

test("PromptLayer: the official client runs greet by name, label and version, with returnAllOutputs; the run shows in the console", async ({ page, request }) => {
  const latest = await client().runWorkflow({ workflowName: "greet", inputVariables: { name: "Ada", punctuation: "?" } });
  expect(latest).toEqual({ greeting: "HELLO, ADA?", length: 11 });
  expect(runRow(lastPromptLayerRun())).toMatchObject({ origin: "promptlayer", versionNumber: 2, label: null });

  const production = await client().runWorkflow({
    workflowName: "greet", workflowLabelName: "production", inputVariables: { name: "Lin" }, metadata: { team: "growth" },
  });
  expect(production).toEqual({ greeting: "HELLO, LIN!", length: 11 });
  const labelRun = runRow(lastPromptLayerRun());
  expect(labelRun).toMatchObject({ versionNumber: 1, label: "production" });
  const doc = await (await request.get(`/api/v1/runs/${labelRun.uuid}`, { headers: auth })).json();
  expect(doc).toMatchObject({ origin: "promptlayer", status: "succeeded", metadata: { team: "growth" }, inputs: { name: "Lin" } });

  const v2 = await client().runWorkflow({ workflowName: "greet", workflowVersion: 2, inputVariables: { name: "Bo", punctuation: "." } });
  expect(v2).toEqual({ greeting: "HELLO, BO.", length: 10 });

  const all = nodeMap.parse(await client().runWorkflow({
    workflowName: "greet", workflowLabelName: "staging", inputVariables: { name: "Kai" }, returnAllOutputs: true,
  }));
  expect(Object.keys(all)).toEqual(["greet", "shout", "result"]);
  expect(all.greet).toMatchObject({ status: "SUCCESS", value: "Hello, Kai!", is_output_node: false });
  expect(all.result).toMatchObject({ status: "SUCCESS", value: { greeting: "HELLO, KAI!", length: 11 }, is_output_node: true });

  // The results endpoint gives the same result for a finished execution.
  const id = lastPromptLayerRun();
  const results = await request.get(`/workflow-version-execution-results?workflow_version_execution_id=${id}&return_all_outputs=false`, { headers: pl });
  expect(results.status()).toBe(200);
  expect(await results.json()).toEqual({ greeting: "HELLO, KAI!", length: 11 });

  await signIn(page);
  await page.goto("/w/demo/runs");
  const row = page.getByTestId("runs-table").locator("tr", { has: page.locator(`a[href$="${runRow(id).uuid}"]`) });
  await expect(row.locator('[data-origin="promptlayer"]')).toHaveText("PromptLayer API");
});

test("PromptLayer: refusals in PromptLayer's shape store nothing; the client reports them", async ({ request }) => {
  const before = countRows("Run");
  const check = async (res: Awaited<ReturnType<typeof request.post>>, status: number) => {
    expect(res.status()).toBe(status);
    const body: unknown = await res.json();
    if (status === 422) validationError.parse(body);
    return errorResponse.parse(body);
  };
  await check(await request.post("/workflows/greet/run", { headers: { "content-type": "application/json" }, data: {} }), 401);
  await check(await request.post("/workflows/greet/run", { headers: { ...pl, "x-api-key": "pl_wrong" }, data: {} }), 401);
  await check(await request.post("/workflows/no-such-workflow/run", { headers: pl, data: {} }), 404);
  await check(await request.post("/workflows/greet/run", { headers: pl, data: { workflow_label_name: "nope" } }), 404);
  await check(await request.post("/workflows/greet/run", { headers: pl, data: { workflow_version_number: 99 } }), 404);
  const both = await check(await request.post("/workflows/greet/run", { headers: pl, data: { workflow_label_name: "production", workflow_version_number: 1 } }), 400);
  expect(both.error).toMatch(/not both/);
  await check(await request.post("/workflows/greet/run", { headers: pl, data: { input_variables: ["Ada"] } }), 422);
  await check(await request.post("/workflows/greet/run", { headers: pl, data: { metadata: { n: 1 } } }), 422);
  expect(countRows("Run")).toBe(before);

  const bad = new PromptLayer({ apiKey: "pl_wrong", baseURL: BASE });
  expect(await bad.runWorkflow({ workflowName: "greet" })).toEqual({ success: false, message: "Failed to run workflow: Invalid API key" });
  expect(await client().runWorkflow({ workflowName: "nope" })).toEqual({ success: false, message: "Failed to run workflow: Workflow 'nope' not found" });
  expect(countRows("Run")).toBe(before);
});

test("PromptLayer: the results endpoint answers 200 once the run ends; another workspace sees nothing of the demo's executions", async ({ request }) => {
  const started = await request.post("/workflows/greet/run", { headers: pl, data: { input_variables: { name: "Poll" } } });
  expect(started.status()).toBe(201);
  const { workflow_version_execution_id: id } = runWorkflowResponse.parse(await started.json());
  const url = `/workflow-version-execution-results?workflow_version_execution_id=${id}&return_all_outputs=true`;
  await expect.poll(async () => (await request.get(url, { headers: pl })).status(), { timeout: 15_000 }).toBe(200);
  expect(nodeMap.parse(await (await request.get(url, { headers: pl })).json()).result.status).toBe("SUCCESS");

  const other = createOtherWorkspace();
  const foreign = { "x-api-key": other.key, "content-type": "application/json" };
  expect((await request.get(url, { headers: foreign })).status()).toBe(404);
  errorResponse.parse(await (await request.post(`/ws-token-request-library?capability=workflow_updates:${id}`, { headers: foreign })).json());
  expect((await request.post(`/ws-token-request-library?capability=workflow_updates:${id}`, { headers: foreign })).status()).toBe(404);
  const before = countRows("Run");
  expect((await request.post("/workflows/greet/run", { headers: foreign, data: {} })).status()).toBe(404);
  expect(countRows("Run")).toBe(before);
});

test("PromptLayer: callback_url answers 202 and POSTs {workflow_version_execution_id, final_output}, signed", async ({ request }) => {
  const { secret } = await (await request.get("/api/v1/workspace/signing-secret", { headers: auth })).json();
  const receiver = await startReceiver(() => ({ status: 200, body: "ok" }));
  try {
    const res = await request.post("/workflows/greet/run", {
      headers: pl, data: { input_variables: { name: "Hook" }, workflow_label_name: "production", callback_url: `${receiver.url}/promptlayer` },
    });
    expect(res.status()).toBe(202);
    const { workflow_version_execution_id: id } = runWorkflowResponse.parse(await res.json());
    await expect.poll(() => receiver.requests.length, { timeout: 20_000 }).toBe(1);
    const seen = receiver.requests[0];
    expect(JSON.parse(seen.body)).toEqual({ workflow_version_execution_id: id, final_output: { greeting: "HELLO, HOOK!", length: 12 } });
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(seen.headers["x-flowdeck-signature"]));
    expect(m).not.toBeNull();
    const expected = createHmac("sha256", secret).update(`${m![1]}.${seen.body}`).digest();
    expect(timingSafeEqual(expected, Buffer.from(m![2], "hex"))).toBe(true);
  } finally {
    await receiver.close();
  }
});

test("PromptLayer: the WebSocket closes on a forged token and refuses a channel its token does not cover", async ({ request }) => {
  const ids: number[] = [];
  for (const name of ["One", "Two"]) {
    const res = await request.post("/workflows/greet/run", { headers: pl, data: { input_variables: { name } } });
    ids.push(runWorkflowResponse.parse(await res.json()).workflow_version_execution_id);
  }
  const tokenRes = await request.post(`/ws-token-request-library?capability=workflow_updates:${ids[0]}`, { headers: pl });
  const { token } = tokenResponse.parse(await tokenRes.json()).token_details;

  const forged = await rawSocket();
  const claims = Buffer.from(JSON.stringify({ w: 1, r: ids[1], e: 9_999_999_999 })).toString("base64url");
  forged.send({ connect: { token: `${claims}.${token.split(".")[1]}` }, id: 1 });
  expect(await forged.closed).toBe(3500);
  expect(forged.replies).toEqual([]);

  const socket = await rawSocket();
  socket.send({ connect: { token }, id: 1 }, { subscribe: { channel: `workflow_updates:${ids[1]}` }, id: 2 }, { subscribe: { channel: `workflow_updates:${ids[0]}` }, id: 3 });
  await expect.poll(() => socket.replies.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
  expect(socket.replies.find((r) => r.id === 2)).toEqual({ id: 2, error: { code: 103, message: "permission denied" } });
  expect(socket.replies.find((r) => r.id === 3)).toEqual({ id: 3, subscribe: {} });
  const pushes = socket.replies.filter((r) => "push" in r) as { push: { channel: string; pub: { data: { message_name: string; data: string } } } }[];
  expect(pushes.map((p) => p.push.channel)).toEqual([`workflow_updates:${ids[0]}`]);
  expect(pushes[0].push.pub.data.message_name).toBe("SET_WORKFLOW_COMPLETE");
  expect(JSON.parse(pushes[0].push.pub.data.data)).toEqual({ result_code: "OK", final_output: { greeting: "HELLO, ONE!", length: 11 } });
  socket.ws.close();
});
