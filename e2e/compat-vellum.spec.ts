/**
 * Vellum's execute API on the production server, driven by the official `vellum-ai` client
 * (v1.14: executeWorkflow, executeWorkflowStream, executeWorkflowAsync and
 * workflows.workflowExecutionStatus — it validates every response field with its own
 * schemas). Mirrors lib/compat/vellum.test.ts on the demo workflows: typed outputs, release
 * tags, the NDJSON stream with NODE events, async + status, external_id, a document URL,
 * the error shapes, tenancy, and the run in the console with its origin.
 */
import { expect, test } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { Vellum, VellumClient, VellumError } from "vellum-ai";
import { auth, BASE, createOtherWorkspace, KEY, startReceiver } from "./api-helpers";
import { countRows, signIn } from "./helpers";

const clientFor = (apiKey: string) => new VellumClient({ apiKey, environment: { predict: BASE, default: BASE, documents: BASE } });
const client = clientFor(KEY);
const json = { ...auth, "content-type": "application/json" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The error the client throws (fails the test if it does not throw). */
async function thrown(p: Promise<unknown>): Promise<VellumError> {
  const result = await p.then(() => null, (e: unknown) => e);
  expect(result).toBeInstanceOf(VellumError);
  return result as VellumError;
}

async function pollStatus(c: VellumClient, id: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    const status = await c.workflows.workflowExecutionStatus(id);
    seen.push(status.status);
    if (status.status === "FULFILLED" || status.status === "REJECTED") return { status, seen };
    if (Date.now() > until) throw new Error(`execution ${id} still ${status.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const outputsOf = (data: Vellum.ExecuteWorkflowWorkflowResultEvent) => {
  expect(data.state).toBe("FULFILLED");
  return data.state === "FULFILLED" ? Object.fromEntries(data.outputs.map((o) => [o.name, [o.type, o.value]])) : {};
};

test.describe.configure({ mode: "serial" });

let greetExecution = "";

test("executeWorkflow by name and release tag: FULFILLED with typed outputs", async ({ request }) => {
  const result = await client.executeWorkflow({
    workflowDeploymentName: "greet", releaseTag: "production", inputs: [{ name: "name", type: "STRING", value: "Ada" }],
    metadata: { source: "e2e" },
  });
  expect(result.executionId).toMatch(UUID);
  expect(outputsOf(result.data)).toEqual({ greeting: ["STRING", "HELLO, ADA!"], length: ["NUMBER", 11] });
  greetExecution = result.executionId;
  const run = await (await request.get(`/api/v1/runs/${result.executionId}`, { headers: auth })).json();
  expect(run).toMatchObject({ origin: "vellum", label: "production", version: 1, metadata: { source: "e2e" } });

  // By deployment id (the workflow's UUID), at another tag.
  const wf = await (await request.get("/api/v1/workflows/greet", { headers: auth })).json();
  const staging = await client.executeWorkflow({
    workflowDeploymentId: wf.uuid, releaseTag: "staging",
    inputs: [{ name: "name", type: "STRING", value: "Bo" }, { name: "punctuation", type: "STRING", value: "?" }],
  });
  expect(outputsOf(staging.data).greeting).toEqual(["STRING", "HELLO, BO?"]);
  expect((await (await request.get(`/api/v1/runs/${staging.executionId}`, { headers: auth })).json()).version).toBe(2);
});

test("a failing workflow answers REJECTED with Vellum's error code", async ({ request }) => {
  const created = await request.post("/api/v1/workflows", {
    headers: json,
    data: { name: "vellum-e2e-boom", definition: { steps: [{ id: "explode", kind: "code", config: { code: "throw new Error('kaboom');" } }] } },
  });
  expect([201, 409]).toContain(created.status());
  const result = await client.executeWorkflow({ workflowDeploymentName: "vellum-e2e-boom", inputs: [] });
  expect(result.data.state).toBe("REJECTED");
  if (result.data.state === "REJECTED") {
    expect(result.data.error.code).toBe("NODE_EXECUTION");
    expect(result.data.error.message).toMatch(/kaboom/);
  }
});

test("executeWorkflowStream: INITIATED, NODE events per step, outputs, FULFILLED; WORKFLOW only by default", async () => {
  const stream = await client.executeWorkflowStream({
    workflowDeploymentName: "greet", releaseTag: "production", eventTypes: ["NODE", "WORKFLOW"],
    inputs: [{ name: "name", type: "STRING", value: "Cy" }],
  });
  const events: Vellum.WorkflowStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  const summary = events.map((e) =>
    e.type === "NODE" ? `NODE ${e.data.nodeId} ${e.data.state}`
      : `WORKFLOW ${e.data.state}${e.data.output ? ` ${e.data.output.name}` : ""}`);
  expect(summary).toEqual([
    "WORKFLOW INITIATED",
    "NODE greet INITIATED", "NODE greet FULFILLED",
    "NODE shout INITIATED", "NODE shout FULFILLED",
    "NODE result INITIATED", "NODE result FULFILLED",
    "WORKFLOW STREAMING greeting", "WORKFLOW STREAMING length",
    "WORKFLOW FULFILLED",
  ]);
  const end = events.at(-1)!;
  expect(end.type === "WORKFLOW" && end.data.outputs?.map((o) => o.value)).toEqual(["HELLO, CY!", 10]);
  expect(new Set(events.map((e) => e.executionId)).size).toBe(1);

  // Raw: newline-delimited JSON, no `data:` prefix, WORKFLOW events only unless asked.
  const res = await fetch(`${BASE}/v1/execute-workflow-stream`, {
    method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify({ workflow_deployment_name: "greet", inputs: [{ name: "name", type: "STRING", value: "Di" }] }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/ndjson/);
  const lines = (await res.text()).split("\n").filter((l) => l.trim());
  const raw = lines.map((l) => JSON.parse(l));
  expect(raw.map((e) => `${e.type} ${e.data.state}`)).toEqual([
    "WORKFLOW INITIATED", "WORKFLOW STREAMING", "WORKFLOW STREAMING", "WORKFLOW FULFILLED",
  ]);
});

test("executeWorkflowAsync returns at once; status is not final while running, then FULFILLED with outputs", async () => {
  const started = Date.now();
  const { executionId } = await client.executeWorkflowAsync({
    workflowDeploymentName: "release-pipeline", inputs: [{ name: "release", type: "STRING", value: "v9" }],
  });
  expect(Date.now() - started).toBeLessThan(1500);
  const { status, seen } = await pollStatus(client, executionId);
  expect(seen[0]).toMatch(/^(INITIATED|STREAMING)$/);
  expect(status.status).toBe("FULFILLED");
  expect(String(status.outputs?.notes)).toContain("# v9");
  expect(status.executionDetailUrl).toBe(`/w/demo/runs/${executionId}`);
});

test("external_id: a repeat returns the first execution, another request with it is a 400", async () => {
  const externalId = `e2e-${randomBytes(6).toString("hex")}`;
  const request = { workflowDeploymentName: "greet", externalId, inputs: [{ name: "name", type: "STRING" as const, value: "Eve" }] };
  const first = await client.executeWorkflow(request);
  const runs = countRows("Run");
  expect((await client.executeWorkflow(request)).executionId).toBe(first.executionId);
  expect((await client.executeWorkflowAsync(request)).executionId).toBe(first.executionId);
  const clash = await thrown(client.executeWorkflow({ ...request, inputs: [{ name: "name", type: "STRING", value: "Mallory" }] }));
  expect(clash).toBeInstanceOf(Vellum.BadRequestError);
  expect((clash.body as { detail: string }).detail).toMatch(/external_id/);
  expect(countRows("Run")).toBe(runs);
});

test("a DOCUMENT src URL fills the workflow's file input (fetched by the server)", async () => {
  const files = await startReceiver(() => ({ status: 200, body: "city,people\nLisbon,545000\nPorto,232000\n", headers: { "content-type": "text/csv" } }));
  try {
    const result = await client.executeWorkflow({
      workflowDeploymentName: "document-stats", inputs: [{ name: "document", type: "DOCUMENT", value: { src: `${files.url}/cities.csv` } }],
    });
    const outputs = outputsOf(result.data);
    expect(outputs.stats).toEqual(["JSON", expect.objectContaining({ format: "csv", rows: 2 })]);
    expect(outputs.report[0]).toBe("STRING");
    expect(String(outputs.report[1])).toContain("cities.csv");
  } finally {
    await files.close();
  }
});

test("errors: bad key 401, unknown deployment 404, bad input 400 with nothing stored", async () => {
  const badKey = await thrown(clientFor("fd_not_a_key").executeWorkflow({ workflowDeploymentName: "greet", inputs: [] }));
  expect(badKey.statusCode).toBe(401);
  expect((badKey.body as { detail: string }).detail).toMatch(/API key/);

  const runs = countRows("Run");
  const unknown = await thrown(client.executeWorkflow({ workflowDeploymentName: "no-such-workflow", inputs: [] }));
  expect(unknown).toBeInstanceOf(Vellum.NotFoundError);
  expect(await thrown(client.executeWorkflow({ workflowDeploymentName: "greet", releaseTag: "nope", inputs: [] }))).toBeInstanceOf(Vellum.NotFoundError);
  const wrongType = await thrown(client.executeWorkflow({ workflowDeploymentName: "greet", inputs: [{ name: "name", type: "NUMBER", value: 3 }] }));
  expect(wrongType).toBeInstanceOf(Vellum.BadRequestError);
  expect((wrongType.body as { detail: string }).detail).toMatch(/STRING/);
  const missing = await thrown(client.executeWorkflowStream({ inputs: [{ name: "name", type: "STRING", value: "x" }] }));
  expect(missing).toBeInstanceOf(Vellum.BadRequestError);
  const badJson = await fetch(`${BASE}/v1/execute-workflow`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: "{oops" });
  expect(badJson.status).toBe(400);
  expect(typeof (await badJson.json()).detail).toBe("string");
  expect(countRows("Run")).toBe(runs);
});

test("another workspace cannot see the demo's executions or run its deployments", async ({ request }) => {
  const other = clientFor(createOtherWorkspace().key);
  expect(await thrown(other.workflows.workflowExecutionStatus(greetExecution))).toBeInstanceOf(Vellum.NotFoundError);
  const wf = await (await request.get("/api/v1/workflows/greet", { headers: auth })).json();
  const runs = countRows("Run");
  expect(await thrown(other.executeWorkflow({ workflowDeploymentId: wf.uuid, inputs: [{ name: "name", type: "STRING", value: "x" }] })))
    .toBeInstanceOf(Vellum.NotFoundError);
  expect(await thrown(other.executeWorkflow({ workflowDeploymentName: "greet", inputs: [{ name: "name", type: "STRING", value: "x" }] })))
    .toBeInstanceOf(Vellum.NotFoundError);
  expect(countRows("Run")).toBe(runs);
});

test("the run shows in the console history with origin Vellum API", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/runs?origin=vellum");
  const row = page.getByTestId("runs-table").locator("tbody tr", { has: page.locator(`a[href="/w/demo/runs/${greetExecution}"]`) });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Greet");
  await expect(row).toContainText("Vellum API");
  await expect(row).toContainText("production");
  await row.getByRole("link", { name: "Greet" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/demo/runs/${greetExecution}$`));
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByTestId("output-greeting")).toContainText("HELLO, ADA!");
});
