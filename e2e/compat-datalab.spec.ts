/**
 * Datalab's workflow API against the production server, with the requests its Python client
 * (datalab-python-sdk) sends: `X-Api-Key`, JSON `{input_config}`, then polling the execution
 * until COMPLETED or FAILED. Mirrors lib/compat/datalab.test.ts; the CSV is served on
 * 127.0.0.1:3196, which the e2e server may fetch (FLOWDECK_FETCH_ALLOW).
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { auth, createOtherWorkspace, KEY, startReceiver, type Receiver } from "./api-helpers";
import { countRows, signIn } from "./helpers";

const validationErrorSchema = z.object({
  detail: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })).min(1),
});
const errorSchema = z.object({ detail: z.string().min(1) });
const executeSchema = z.looseObject({ execution_id: z.number().int().positive(), status: z.string() });
const executionSchema = z.looseObject({
  execution_id: z.number().int().positive(),
  workflow_id: z.number().int().positive(),
  status: z.enum(["QUEUED", "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"]),
  created: z.iso.datetime(),
  updated: z.iso.datetime(),
  steps: z.record(z.string(), z.record(z.string(), z.looseObject({ status: z.string(), output_url: z.string().optional() }))),
  error: z.string().nullable(),
  results: z.record(z.string(), z.unknown()).nullable(),
  web_url: z.string(),
});
type Execution = z.infer<typeof executionSchema>;

const clientHeaders = (key = KEY) => ({ "X-Api-Key": key, "User-Agent": "datalab-python-sdk/0.2.1" });
const csv = "city,people\nLisbon,545000\nPorto,232000\nBraga,193000\n";

function execute(request: APIRequestContext, workflowId: number | string, body: unknown, key = KEY) {
  return request.post(`/api/v1/workflows/workflows/${workflowId}/execute`, {
    headers: { ...clientHeaders(key), "Content-Type": "application/json" }, data: JSON.stringify(body),
  });
}

async function poll(request: APIRequestContext, id: number, key = KEY): Promise<Execution> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await request.get(`/api/v1/workflows/executions/${id}`, { headers: clientHeaders(key) });
    expect(res.status()).toBe(200);
    const execution = executionSchema.parse(await res.json());
    if (["COMPLETED", "FAILED"].includes(execution.status.toUpperCase())) return execution;
    if (Date.now() > until) throw new Error(`execution ${id} still ${execution.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function workflowId(request: APIRequestContext, name: string): Promise<number> {
  const res = await request.get(`/api/v1/workflows/${name}`, { headers: auth });
  expect(res.status()).toBe(200);
  return (await res.json()).id;
}

let receiver: Receiver;
test.beforeAll(async () => {
  receiver = await startReceiver((_n, req) =>
    req.url === "/cities.csv" ? { status: 200, body: csv, headers: { "content-type": "text/csv" } } : { status: 404, body: "gone" });
});
test.afterAll(async () => {
  await receiver?.close();
});

test("Datalab: execute document-stats by integer id in all three input_config forms, poll to COMPLETED, see it in the console", async ({ request, page }) => {
  const id = await workflowId(request, "document-stats");
  const url = `${receiver.url}/cities.csv`;
  const forms = [
    { file_urls: [url] }, // what the Python client's InputConfig sends
    { type: "single_file", file_url: url },
    { type: "file_list", file_urls: [url] },
  ];
  const done: Execution[] = [];
  for (const input_config of forms) {
    const res = await execute(request, id, { input_config });
    expect(res.status()).toBe(200);
    const started = executeSchema.parse(await res.json());
    const execution = await poll(request, started.execution_id);
    expect(execution).toMatchObject({ status: "COMPLETED", workflow_id: id, error: null });
    expect(execution.results?.stats).toMatchObject({ format: "csv", rows: 3 });
    expect(Object.keys(execution.steps)).toEqual(["read", "stats", "report"]);
    expect(Object.values(execution.steps).map((s) => s.aggregated.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
    done.push(execution);
  }

  // The run is an ordinary Flowdeck run with origin datalab.
  const runUuid = done[0].web_url.split("/").pop()!;
  const run = await (await request.get(`/api/v1/runs/${runUuid}`, { headers: auth })).json();
  expect(run).toMatchObject({ origin: "datalab", status: "succeeded", inputs: { document: { name: "cities.csv" } } });

  await signIn(page);
  await page.goto("/w/demo/runs");
  const row = page.getByTestId("runs-table").locator("tr", { has: page.locator(`a[href$="${runUuid}"]`) });
  await expect(row).toContainText("Datalab API");
});

test("Datalab: a failing workflow ends FAILED with its error", async ({ request }) => {
  const name = `datalab-broken-${randomBytes(3).toString("hex")}`;
  const created = await request.post("/api/v1/workflows", {
    headers: { ...auth, "content-type": "application/json" },
    data: {
      name,
      definition: {
        inputs: [{ name: "document", type: "file" }],
        steps: [
          { id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } },
          { id: "explode", kind: "code", config: { code: "if (steps.read.output) throw new Error('the parser gave up');" } },
        ],
      },
    },
  });
  expect(created.status()).toBe(201);
  const res = await execute(request, await workflowId(request, name), { input_config: { file_urls: [`${receiver.url}/cities.csv`] } });
  const execution = await poll(request, executeSchema.parse(await res.json()).execution_id);
  expect(execution.status).toBe("FAILED");
  expect(execution.error).toMatch(/the parser gave up/);
  expect(execution.steps.explode.aggregated.status).toBe("FAILED");
});

test("Datalab: refusals are FastAPI-shaped and store nothing", async ({ request }) => {
  const id = await workflowId(request, "document-stats");
  const body = { input_config: { file_urls: [`${receiver.url}/cities.csv`] } };
  const refused = async (send: () => Promise<import("@playwright/test").APIResponse>, status: number, schema: z.ZodType) => {
    const runs = countRows("Run");
    const files = countRows("File");
    const res = await send();
    expect(res.status()).toBe(status);
    const parsed = schema.parse(await res.json()) as { detail: unknown };
    expect(countRows("Run")).toBe(runs);
    expect(countRows("File")).toBe(files);
    return parsed;
  };
  await refused(() => execute(request, id, body, "fd_not_a_key"), 401, errorSchema);
  await refused(() => request.get("/api/v1/workflows/executions/1", { headers: clientHeaders("fd_not_a_key") }), 401, errorSchema);
  await refused(() => execute(request, 999_999, body), 404, errorSchema);
  // greet has no file input to take the files.
  const greet = await refused(async () => execute(request, await workflowId(request, "greet"), body), 422, validationErrorSchema);
  expect((greet.detail as { loc: unknown[] }[])[0].loc).toEqual(["path", "workflow_id"]);
  // Two files for document-stats' single file input; a URL that answers 404; a bad input_config.
  await refused(() => execute(request, id, { input_config: { file_urls: [body.input_config.file_urls[0], body.input_config.file_urls[0]] } }), 422, validationErrorSchema);
  const gone = await refused(() => execute(request, id, { input_config: { file_url: `${receiver.url}/gone.csv` } }), 422, validationErrorSchema);
  expect((gone.detail as { type: string }[])[0].type).toBe("value_error.url");
  await refused(() => execute(request, id, { input_config: { type: "single_file" } }), 422, validationErrorSchema);
  await refused(() => execute(request, "document-stats", body), 422, validationErrorSchema);

  // Another workspace's key: the demo workflow and its executions are unknown to it.
  const other = createOtherWorkspace();
  await refused(() => execute(request, id, body, other.key), 404, errorSchema);
  const mine = executeSchema.parse(await (await execute(request, id, body)).json());
  await poll(request, mine.execution_id);
  await refused(() => request.get(`/api/v1/workflows/executions/${mine.execution_id}`, { headers: clientHeaders(other.key) }), 404, errorSchema);
});

test("Flowdeck's own workflow routes still answer beside Datalab's static folders", async ({ request }) => {
  // Next.js matches whole paths and prefers static segments: /api/v1/workflows/workflows/{id}/execute
  // and /api/v1/workflows/executions/{id} are Datalab's, everything else at that level is [workflow].
  const id = await workflowId(request, "document-stats");
  for (const ref of [String(id), "document-stats"]) {
    expect((await request.get(`/api/v1/workflows/${ref}`, { headers: auth })).status()).toBe(200);
    expect((await request.get(`/api/v1/workflows/${ref}/versions`, { headers: auth })).status()).toBe(200);
    expect((await request.get(`/api/v1/workflows/${ref}/labels`, { headers: auth })).status()).toBe(200);
  }
  // Workflows named like the static folders (in a workspace of their own, to leave the demo alone):
  // 'workflows' only overlaps Datalab's /workflows/workflows/{id}/execute, so it is allowed;
  // 'executions' would shadow its own sub-resources under Datalab's /workflows/executions/{id},
  // so it is refused, like a digits-only name (which would read as an id).
  const other = createOtherWorkspace();
  const json = { ...other.headers, "content-type": "application/json" };
  const create = (name: string) => request.post("/api/v1/workflows", {
    headers: json, data: { name, definition: { steps: [{ id: "s", kind: "template", config: { template: name } }] } },
  });
  const created = await create("workflows");
  expect(created.status()).toBe(201);
  const got = await request.get("/api/v1/workflows/workflows", { headers: other.headers });
  expect(got.status()).toBe(200);
  expect((await got.json()).name).toBe("workflows");
  const run = await request.post("/api/v1/workflows/workflows/runs", { headers: json, data: {} });
  expect(run.status()).toBe(200);
  expect((await run.json()).status).toBe("succeeded");
  for (const name of ["executions", "12345"]) {
    const refused = await create(name);
    expect(refused.status()).toBe(422);
    expect((await refused.json()).detail[0]).toMatchObject({ loc: ["body", "name"], type: "value_error" });
  }
  // Datalab's execution route answers there, in its own shape.
  const shadowed = await request.get("/api/v1/workflows/executions/versions", { headers: clientHeaders(other.key) });
  expect(shadowed.status()).toBe(422);
  expect(validationErrorSchema.parse(await shadowed.json()).detail[0]).toMatchObject({ loc: ["path", "execution_id"], type: "int_parsing" });
});
