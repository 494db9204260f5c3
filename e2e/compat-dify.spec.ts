/**
 * Dify's Workflow App API on the production server, driven by the official `dify-client`
 * (v2.3.2: CompletionClient.runWorkflow, DifyClient.fileUpload, and its sendRequest for
 * run detail and stop). Mirrors lib/compat/dify.test.ts: keys bound to demo workflows,
 * blocking and streaming runs, upload + local_file, remote_url, detail, stop, the error
 * shapes, tenancy, and the run in the console with its origin.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { CompletionClient, DifyClient } from "dify-client";
import { auth, BASE, createOtherWorkspace, startReceiver } from "./api-helpers";
import { countRows, signIn } from "./helpers";

const DIFY_BASE = `${BASE}/v1`;
const USER = "e2e-end-user";

type WorkflowRunner = CompletionClient & {
  runWorkflow(inputs: Record<string, unknown>, user: string, stream?: boolean): Promise<{ status: number; data: any; headers: Record<string, unknown> }>;
};
const client = (key: string) => new CompletionClient(key, DIFY_BASE) as WorkflowRunner;

interface DifyEvent {
  event: string;
  task_id: string;
  workflow_run_id: string;
  data: Record<string, any>;
}

/** Reads a dify-client stream to its end: the `data:` events (pings counted apart). */
async function readStream(stream: NodeJS.ReadableStream, onEvent?: (e: DifyEvent) => void | Promise<void>) {
  const events: DifyEvent[] = [];
  let buffer = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buffer += chunk.toString("utf8");
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (frame === "event: ping") continue;
      expect(frame.startsWith("data: "), `SSE frame ${frame}`).toBe(true);
      const event = JSON.parse(frame.slice(6)) as DifyEvent;
      events.push(event);
      await onEvent?.(event);
    }
  }
  return events;
}

/** An axios failure's status and Dify error body `{status, code, message}`. */
async function failure(promise: Promise<unknown>) {
  const error = (await promise.then(() => null, (e: unknown) => e)) as { response?: { status: number; data: any } } | null;
  expect(error?.response, "the request fails with an HTTP error").toBeTruthy();
  const { status, data } = error!.response!;
  expect(Object.keys(data).sort()).toEqual(["code", "message", "status"]);
  expect(data.status).toBe(status);
  return { status, code: data.code as string, message: data.message as string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Dify's blocking reply, checked field by field (Unix-second timestamps). */
function expectCompletion(body: any) {
  expect(Object.keys(body).sort()).toEqual(["data", "task_id", "workflow_run_id"]);
  expect(body.workflow_run_id).toMatch(UUID);
  expect(body.task_id).toBe(body.workflow_run_id);
  expect(Object.keys(body.data).sort()).toEqual([
    "created_at", "elapsed_time", "error", "finished_at", "id", "outputs", "status", "total_steps", "total_tokens", "workflow_id",
  ]);
  expect(body.data.workflow_id).toMatch(UUID);
  expect(Number.isInteger(body.data.created_at) && body.data.created_at > 1_600_000_000 && body.data.created_at < 4_000_000_000).toBe(true);
  return body as { workflow_run_id: string; task_id: string; data: Record<string, any> };
}

async function bindKey(request: APIRequestContext, workflow: string | null, label?: string) {
  const res = await request.post("/api/v1/api-keys", {
    headers: auth, data: { name: `dify e2e ${workflow ?? "unbound"}`, role: "member", ...(workflow ? { workflow } : {}), ...(label ? { label } : {}) },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).key as string;
}

test.describe.configure({ mode: "serial" });

const keys = {} as Record<"greet" | "stats" | "pipeline" | "unbound", string>;
let greetRunId = "";

test.beforeAll(async ({ request }) => {
  keys.greet = await bindKey(request, "greet", "production");
  keys.stats = await bindKey(request, "document-stats", "production");
  keys.pipeline = await bindKey(request, "release-pipeline");
  keys.unbound = await bindKey(request, null);
});

test("blocking run of the key's bound workflow (greet at production)", async () => {
  const res = await client(keys.greet).runWorkflow({ name: "Ada" }, USER);
  expect(res.status).toBe(200);
  const body = expectCompletion(res.data);
  expect(body.data).toMatchObject({ status: "succeeded", outputs: { greeting: "HELLO, ADA!", length: 11 }, error: null, total_steps: 3 });
  greetRunId = body.workflow_run_id;
});

test("streaming run: events in order, workflow_finished carries the outputs, then the stream ends", async () => {
  const res = await client(keys.greet).runWorkflow({ name: "Bo" }, USER, true);
  expect(String(res.headers["content-type"])).toMatch(/^text\/event-stream/);
  const events = await readStream(res.data);
  expect(events.map((e) => `${e.event}${e.data.node_id ? `:${e.data.node_id}` : ""}`)).toEqual([
    "workflow_started",
    "node_started:greet", "node_finished:greet",
    "node_started:shout", "node_finished:shout",
    "node_started:result", "node_finished:result",
    "workflow_finished",
  ]);
  const id = events[0].workflow_run_id;
  expect(events.every((e) => e.task_id === id && e.workflow_run_id === id)).toBe(true);
  expect(events[1].data).toMatchObject({ node_type: "template", title: "Compose greeting", index: 1 });
  expect(events.at(-1)!.data).toMatchObject({ id, status: "succeeded", outputs: { greeting: "HELLO, BO!", length: 10 } });
});

test("upload with fileUpload, then a local_file input; a remote_url input is fetched by the server", async () => {
  const form = new FormData();
  form.append("file", new Blob(["one two three\nfour five\n"], { type: "text/plain" }), "words.txt");
  form.append("user", USER);
  const up = await new DifyClient(keys.stats, DIFY_BASE).fileUpload(form);
  expect(up.status).toBe(201);
  expect(up.data).toMatchObject({ name: "words.txt", size: 24, extension: "txt", mime_type: "text/plain", created_by: USER });
  expect(up.data.id).toMatch(UUID);

  const local = expectCompletion((await client(keys.stats).runWorkflow(
    { document: { type: "document", transfer_method: "local_file", upload_file_id: up.data.id } }, USER)).data);
  expect(local.data).toMatchObject({ status: "succeeded", outputs: { stats: { words: 5 } } });

  const receiver = await startReceiver(() => ({ status: 200, headers: { "content-type": "text/plain" }, body: "alpha beta gamma delta\n" }));
  try {
    const remote = expectCompletion((await client(keys.stats).runWorkflow(
      { document: { type: "document", transfer_method: "remote_url", url: `${receiver.url}/remote.txt` } }, USER)).data);
    expect(remote.data).toMatchObject({ status: "succeeded", outputs: { stats: { words: 4 } } });
    expect(receiver.requests).toHaveLength(1);
  } finally {
    await receiver.close();
  }
});

test("run detail: Dify's shape, inputs as a JSON string; unknown ids are 404", async () => {
  const res = await client(keys.greet).sendRequest("GET", `/workflows/run/${greetRunId}`);
  expect(Object.keys(res.data).sort()).toEqual([
    "created_at", "elapsed_time", "error", "finished_at", "id", "inputs", "outputs", "status", "total_steps", "total_tokens", "workflow_id",
  ]);
  expect(res.data).toMatchObject({ id: greetRunId, status: "succeeded", outputs: { greeting: "HELLO, ADA!" } });
  expect(JSON.parse(res.data.inputs)).toEqual({ name: "Ada" });
  const missing = await failure(client(keys.greet).sendRequest("GET", "/workflows/run/00000000-0000-4000-8000-000000000000"));
  expect(missing).toMatchObject({ status: 404, code: "not_found" });
});

test("stop: a running task (release-pipeline) ends stopped", async () => {
  const c = client(keys.pipeline);
  const res = await c.runWorkflow({ release: "v9" }, USER, true);
  let answer: unknown = null;
  const events = await readStream(res.data, async (e) => {
    if (e.event === "node_started" && answer === null) {
      answer = (await c.sendRequest("POST", `/workflows/tasks/${e.task_id}/stop`, { user: USER })).data;
    }
  });
  expect(answer).toEqual({ result: "success" });
  const finished = events.at(-1)!;
  expect(finished).toMatchObject({ event: "workflow_finished", data: { status: "stopped" } });
  expect(finished.data.elapsed_time).toBeLessThan(3);
  const detail = await c.sendRequest("GET", `/workflows/run/${finished.workflow_run_id}`);
  expect(detail.data.status).toBe("stopped");
});

test("errors: bad key 401, unbound key 400 app_unavailable, bad input 400 invalid_param — nothing stored", async ({ request }) => {
  const runs = countRows("Run");
  const files = countRows("File");
  expect(await failure(client("fd_not_a_key_at_all_00000000000000").runWorkflow({ name: "x" }, USER))).toMatchObject({ status: 401, code: "unauthorized" });

  const unbound = await failure(client(keys.unbound).runWorkflow({ name: "x" }, USER));
  expect(unbound).toMatchObject({ status: 400, code: "app_unavailable" });
  expect(unbound.message).toMatch(/not bound to a workflow/);

  const wrongType = await failure(client(keys.greet).runWorkflow({ name: 42 }, USER));
  expect(wrongType).toMatchObject({ status: 400, code: "invalid_param" });
  expect(wrongType.message).toMatch(/^inputs\.name: /);
  const noUser = await request.post("/v1/workflows/run", {
    headers: { authorization: `Bearer ${keys.greet}` }, data: { inputs: { name: "x" }, response_mode: "blocking" },
  });
  expect(noUser.status()).toBe(400);
  expect(await noUser.json()).toMatchObject({ status: 400, code: "invalid_param" });
  const badFile = await failure(client(keys.stats).runWorkflow({ document: { type: "document", transfer_method: "local_file" } }, USER));
  expect(badFile).toMatchObject({ status: 400, code: "invalid_param" });
  const unknownFile = await failure(client(keys.stats).runWorkflow(
    { document: { type: "document", transfer_method: "local_file", upload_file_id: "00000000-0000-4000-8000-000000000000" } }, USER));
  expect(unknownFile).toMatchObject({ status: 400, code: "invalid_param" });

  const noFile = new FormData();
  noFile.append("user", USER);
  expect(await failure(new DifyClient(keys.stats, DIFY_BASE).fileUpload(noFile))).toMatchObject({ status: 400, code: "no_file_uploaded" });

  expect(countRows("Run")).toBe(runs);
  expect(countRows("File")).toBe(files);
});

test("tenancy: another workspace's key, or a key bound to another workflow, cannot see or stop the run (404)", async () => {
  const other = createOtherWorkspace();
  for (const key of [other.key, keys.stats]) {
    expect(await failure(client(key).sendRequest("GET", `/workflows/run/${greetRunId}`))).toMatchObject({ status: 404, code: "not_found" });
    expect(await failure(client(key).sendRequest("POST", `/workflows/tasks/${greetRunId}/stop`, { user: USER }))).toMatchObject({ status: 404 });
  }
});

test("the run shows in the console history with origin Dify API", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/runs?origin=dify");
  const row = page.getByTestId("runs-table").locator("tbody tr", { has: page.locator(`a[href="/w/demo/runs/${greetRunId}"]`) });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Greet");
  await expect(row).toContainText("Dify API");
  await expect(row).toContainText("production");
  await row.getByRole("link", { name: "Greet" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/demo/runs/${greetRunId}$`));
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByTestId("output-greeting")).toContainText("HELLO, ADA!");
});
