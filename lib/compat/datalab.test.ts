/**
 * Datalab's workflow API over real HTTP (real database, in-process executor, a real local
 * file server for the URLs). Datalab's official client is Python (datalab-python-sdk), so
 * these tests send exactly the requests it sends — `X-Api-Key`, JSON `{input_config}` — and
 * parse every answer with schemas written from Datalab's documented responses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { startTestServer, type TestServer } from "../net/test-server";
import type { Actor } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { datalabEndpoints } from "./datalab";
import { startCompatTestServer, type CompatTestServer } from "./kit/test-server";

// ---- Datalab's documented shapes (openapi + the Get Execution Status page + what the client reads)
const validationErrorSchema = z.object({
  detail: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })).min(1),
});
const errorSchema = z.object({ detail: z.string().min(1) });
/** The execute answer: the client needs execution_id (or id) and reads status, success, results, error. */
const executeSchema = z.looseObject({
  execution_id: z.number().int().positive(),
  status: z.string(),
  success: z.boolean().optional(),
});
const stepFileSchema = z.looseObject({
  status: z.enum(["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED", "CANCELLED"]),
  started_at: z.string().optional(),
  completed_at: z.string().optional(),
  output_url: z.string().optional(),
});
/** GET execution: workflow_id is read as response["workflow_id"]; steps is step → file key → data. */
const executionSchema = z.looseObject({
  execution_id: z.number().int().positive(),
  workflow_id: z.number().int().positive(),
  status: z.enum(["QUEUED", "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"]),
  created: z.iso.datetime(),
  updated: z.iso.datetime(),
  steps: z.record(z.string(), z.record(z.string(), stepFileSchema)),
  error: z.string().nullable(),
  results: z.record(z.string(), z.unknown()).nullable(),
});
type Execution = z.infer<typeof executionSchema>;

let a: Actor;
let b: Actor;
let keyA: string;
let keyB: string;
const ids: Record<string, number> = {};
let files: TestServer;
let server: CompatTestServer;

const csv = "city,people\nLisbon,545000\nPorto,232000\n";

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "datalab-a@example.test" } }),
    db.user.create({ data: { email: "datalab-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "datalab-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "datalab-b", name: "B" });
  const docDefinition = {
    inputs: [{ name: "document", type: "file", accept: [".txt", ".csv", "text/plain", "text/csv"] }],
    steps: [
      { id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } },
      { id: "title", kind: "template", config: { template: "{{ inputs.document.name }}: {{ steps.read.output.lines }} lines" } },
    ],
    outputs: { text: "{{ steps.read.output.text }}", title: "{{ steps.title.output }}" },
  };
  const defs: Record<string, unknown> = {
    doc: docDefinition,
    docs: {
      inputs: [{ name: "documents", type: "file_list" }],
      steps: [{ id: "names", kind: "code", config: { code: "return inputs.documents.map((d) => d.name);" } }],
      outputs: { names: "{{ steps.names.output }}" },
    },
    broken: {
      inputs: [{ name: "document", type: "file" }],
      steps: [
        { id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } },
        { id: "explode", kind: "code", config: { code: "if (steps.read.output) throw new Error('the parser gave up');" } },
      ],
      outputs: { never: "{{ steps.explode.output }}" },
    },
    plain: { inputs: [{ name: "name", type: "text", default: "x" }], steps: [{ id: "hi", kind: "template", config: { template: "hi {{ inputs.name }}" } }] },
  };
  for (const [name, definition] of Object.entries(defs)) ids[name] = (await createWorkflow(a, { name, definition })).id;
  ids.docB = (await createWorkflow(b, { name: "doc", definition: docDefinition })).id;
  keyA = (await createApiKey(a, { name: "datalab", role: "member" })).key;
  keyB = (await createApiKey(b, { name: "datalab", role: "member" })).key;

  files = await startTestServer((req, res) => {
    const served: Record<string, [string, string]> = {
      "/cities.csv": ["text/csv", csv],
      "/notes.txt": ["text/plain", "first line\nsecond line\n"],
      "/more.txt": ["text/plain", "more"],
    };
    const hit = served[req.url ?? ""];
    res.writeHead(hit ? 200 : 404, { "content-type": hit?.[0] ?? "text/plain" });
    res.end(hit?.[1] ?? "not here");
  });
  // Server-side fetches may reach this one private address (the guarded fetch reads it per call).
  process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${files.port}`;
  server = await startCompatTestServer(datalabEndpoints);
});

afterAll(async () => {
  delete process.env.FLOWDECK_FETCH_ALLOW;
  await server?.close();
  await files?.close();
  await shutdownSandboxPool();
  await db.$disconnect();
});

/** The headers the Python client's aiohttp session sends on every request. */
const clientHeaders = (key: string) => ({ "X-Api-Key": key, "User-Agent": "datalab-python-sdk/0.2.1" });

/** client.execute_workflow(workflow_id, input_config): POST json={"input_config": …}. */
function execute(workflowId: number | string, body: unknown, key = keyA) {
  return fetch(`${server.url}/api/v1/workflows/workflows/${workflowId}/execute`, {
    method: "POST",
    headers: { ...clientHeaders(key), "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function getExecution(id: number | string, key = keyA) {
  return fetch(`${server.url}/api/v1/workflows/executions/${id}`, { headers: clientHeaders(key) });
}

/** client.get_execution_status(id, max_polls, poll_interval): upper-cases status, stops on COMPLETED/FAILED. */
async function pollExecution(id: number, timeoutMs = 15_000): Promise<Execution> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await getExecution(id);
    expect(res.status).toBe(200);
    const execution = executionSchema.parse(await res.json());
    expect(execution.execution_id).toBe(id);
    if (["COMPLETED", "FAILED"].includes(execution.status.toUpperCase())) return execution;
    if (Date.now() > until) throw new Error(`execution ${id} still ${execution.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function counts() {
  return { runs: await db.run.count(), files: await db.file.count() };
}

/** A refused request answers `status` with `schema` and stores no run and no file. */
async function expectRefused(send: () => Promise<Response>, status: number, schema: z.ZodType = errorSchema) {
  const before = await counts();
  const res = await send();
  expect(res.status).toBe(status);
  const body = schema.parse(await res.json());
  expect(await counts()).toEqual(before);
  return body as { detail: unknown };
}

describe("Datalab: execute and poll", () => {
  it("single_file: the URL fills the file input; polling ends COMPLETED with results and steps", async () => {
    const res = await execute(ids.doc, { input_config: { type: "single_file", file_url: `${files.origin}/cities.csv` } });
    expect(res.status).toBe(200);
    const started = executeSchema.parse(await res.json());
    expect(["QUEUED", "IN_PROGRESS", "COMPLETED"]).toContain(started.status);
    expect(executionSchema.parse(started).workflow_id).toBe(ids.doc);

    const done = await pollExecution(started.execution_id);
    expect(done).toMatchObject({ status: "COMPLETED", workflow_id: ids.doc, error: null, success: true });
    expect(done.results).toEqual({ text: csv, title: "cities.csv: 3 lines" });
    expect(Object.keys(done.steps)).toEqual(["read", "title"]);
    expect(done.steps.read.aggregated).toMatchObject({ status: "COMPLETED", output: { format: "csv", columns: ["city", "people"] } });
    expect(done.steps.title.aggregated.status).toBe("COMPLETED");

    const run = await db.run.findUniqueOrThrow({ where: { id: started.execution_id }, include: { payload: true } });
    expect(run).toMatchObject({ origin: "datalab", workspaceId: a.workspaceId, workflowId: ids.doc, status: "succeeded" });
    const stored = JSON.parse(run.payload!.inputs).document;
    expect(await db.file.findUniqueOrThrow({ where: { id: stored.id } })).toMatchObject({ source: "url", name: "cities.csv", workspaceId: a.workspaceId });
  });

  it("file_list: every URL becomes one file of the file-list input", async () => {
    const res = await execute(ids.docs, {
      input_config: { type: "file_list", file_urls: [`${files.origin}/notes.txt`, `${files.origin}/more.txt`] },
    });
    expect(res.status).toBe(200);
    const done = await pollExecution(executeSchema.parse(await res.json()).execution_id);
    expect(done.status).toBe("COMPLETED");
    expect(done.results).toEqual({ names: ["notes.txt", "more.txt"] });
  });

  it("bare file_urls (what the Python client's InputConfig sends) fills a single file input", async () => {
    const res = await execute(ids.doc, { input_config: { file_urls: [`${files.origin}/notes.txt`] } });
    expect(res.status).toBe(200);
    const done = await pollExecution(executeSchema.parse(await res.json()).execution_id);
    expect(done.status).toBe("COMPLETED");
    expect(done.results?.title).toBe("notes.txt: 2 lines");
  });

  it("a failing step: the execution ends FAILED with an error, the step FAILED, later ones absent or skipped", async () => {
    const res = await execute(ids.broken, { input_config: { file_urls: [`${files.origin}/notes.txt`] } });
    expect(res.status).toBe(200);
    const done = await pollExecution(executeSchema.parse(await res.json()).execution_id);
    expect(done.status).toBe("FAILED");
    expect(done.success).toBe(false);
    expect(done.error).toMatch(/the parser gave up/);
    expect(done.error).toMatch(/explode/);
    expect(done.results).toBeNull();
    expect(done.steps.read.aggregated.status).toBe("COMPLETED");
    expect(done.steps.explode.aggregated).toMatchObject({ status: "FAILED", error: expect.stringMatching(/the parser gave up/) });
  });

  it("executions of other runs of the workspace read too; unknown ones are 404, malformed ones 422", async () => {
    const res = await execute(ids.doc, { input_config: { file_urls: [`${files.origin}/notes.txt`] } });
    const { execution_id } = executeSchema.parse(await res.json());
    await pollExecution(execution_id);
    expect(errorSchema.parse(await (await getExecution(999_999)).json()).detail).toMatch(/not found/);
    expect((await getExecution(999_999)).status).toBe(404);
    const bad = await getExecution("abc");
    expect(bad.status).toBe(422);
    expect(validationErrorSchema.parse(await bad.json()).detail[0]).toMatchObject({ loc: ["path", "execution_id"], type: "int_parsing" });
  });
});

describe("Datalab: refusals store nothing", () => {
  it("a workflow without a file or file-list input is a 422 (and nothing is fetched)", async () => {
    const seen = files.requests.length;
    const body = await expectRefused(
      () => execute(ids.plain, { input_config: { file_urls: [`${files.origin}/notes.txt`] } }), 422, validationErrorSchema,
    );
    expect((body.detail as { loc: unknown[]; msg: string }[])[0]).toMatchObject({ loc: ["path", "workflow_id"], msg: expect.stringMatching(/no file/) });
    expect(files.requests.length).toBe(seen);
  });

  it("bad and missing keys are 401 {detail}", async () => {
    const url = { input_config: { file_urls: [`${files.origin}/notes.txt`] } };
    expect((await expectRefused(() => execute(ids.doc, url, "fd_not_a_key"), 401)).detail).toMatch(/Invalid API key/);
    await expectRefused(() => fetch(`${server.url}/api/v1/workflows/workflows/${ids.doc}/execute`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(url),
    }), 401);
    await expectRefused(() => getExecution(1, "fd_not_a_key"), 401);
    // Bearer is not Datalab's header.
    await expectRefused(() => fetch(`${server.url}/api/v1/workflows/executions/1`, { headers: { authorization: `Bearer ${keyA}` } }), 401);
  });

  it("unknown workflows are 404, and so are another workspace's workflows and executions", async () => {
    const url = { input_config: { file_urls: [`${files.origin}/notes.txt`] } };
    expect((await expectRefused(() => execute(999_999, url), 404)).detail).toMatch(/not found/);
    await expectRefused(() => execute(ids.docB, url), 404); // B's workflow with A's key
    await expectRefused(() => execute(ids.doc, url, keyB), 404); // A's workflow with B's key
    const mine = executeSchema.parse(await (await execute(ids.doc, url)).json());
    await pollExecution(mine.execution_id);
    const foreign = await getExecution(mine.execution_id, keyB);
    expect(foreign.status).toBe(404);
    errorSchema.parse(await foreign.json());
    const bad = await expectRefused(() => execute("doc", url), 422, validationErrorSchema);
    expect((bad.detail as { type: string }[])[0].type).toBe("int_parsing");
  });

  it("bad input_config, bad files and bad JSON are 422 with detail, before or after fetching", async () => {
    const detailOf = (body: { detail: unknown }) => body.detail as { loc: unknown[]; msg: string; type: string }[];
    const cases: [unknown, (string | number)[]][] = [
      [{ input_config: { type: "single_file" } }, ["body", "input_config", "file_url"]],
      [{ input_config: { type: "file_list", file_urls: [] } }, ["body", "input_config", "file_urls"]],
      [{ input_config: { type: "pdf_pages", file_urls: [`${files.origin}/notes.txt`] } }, ["body", "input_config", "type"]],
      [{ input_config: { file_urls: ["ftp://example.com/x.txt"] } }, ["body", "input_config", "file_urls", 0]],
      [{ input_config: { bucket: "my-bucket", prefix: "in/" } }, ["body", "input_config", "bucket"]],
    ];
    for (const [body, loc] of cases) {
      expect(detailOf(await expectRefused(() => execute(ids.doc, body), 422, validationErrorSchema))[0].loc).toEqual(loc);
    }
    // Two files for a single-file input.
    const two = await expectRefused(
      () => execute(ids.doc, { input_config: { file_urls: [`${files.origin}/notes.txt`, `${files.origin}/more.txt`] } }), 422, validationErrorSchema,
    );
    expect(detailOf(two)[0]).toMatchObject({ loc: ["body", "input_config", "file_urls"], msg: expect.stringMatching(/takes one file/) });
    // A URL that answers 404: fetched, refused, nothing kept.
    const gone = await expectRefused(() => execute(ids.doc, { input_config: { file_url: `${files.origin}/gone.pdf` } }), 422, validationErrorSchema);
    expect(detailOf(gone)[0]).toMatchObject({ type: "value_error.url", msg: expect.stringMatching(/404/) });
    // No body: the required file input is missing.
    expect(detailOf(await expectRefused(() => execute(ids.doc, undefined), 422, validationErrorSchema))[0].loc).toContain("document");
    // Not JSON: FastAPI reports it as a 422 of the body.
    const notJson = await expectRefused(() => fetch(`${server.url}/api/v1/workflows/workflows/${ids.doc}/execute`, {
      method: "POST", headers: { ...clientHeaders(keyA), "Content-Type": "application/json" }, body: "{nope",
    }), 422, validationErrorSchema);
    expect(detailOf(notJson)[0]).toMatchObject({ loc: ["body"], type: "json_invalid" });
  });

  it("a fetched file the workflow refuses is removed again", async () => {
    await createWorkflow(a, {
      name: "pdf-only",
      definition: { inputs: [{ name: "document", type: "file", accept: [".pdf"] }], steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } }] },
    });
    const id = (await db.workflow.findFirstOrThrow({ where: { workspaceId: a.workspaceId, name: "pdf-only" } })).id;
    const seen = files.requests.length;
    const body = await expectRefused(() => execute(id, { input_config: { file_url: `${files.origin}/notes.txt` } }), 422, validationErrorSchema);
    expect(files.requests.length).toBe(seen + 1); // it was fetched…
    expect((body.detail as { loc: unknown[] }[])[0].loc).toEqual(["inputs", "document"]); // …refused, and (expectRefused) not kept
  });

  it("a key bound to one workflow runs only that one (404 for the others)", async () => {
    const bound = (await createApiKey(a, { name: "bound", role: "member", workflow: "doc" })).key;
    const url = { input_config: { file_urls: [`${files.origin}/notes.txt`] } };
    await expectRefused(() => execute(ids.docs, url, bound), 404);
    const res = await execute(ids.doc, url, bound);
    expect(res.status).toBe(200);
    expect((await pollExecution(executeSchema.parse(await res.json()).execution_id)).status).toBe("COMPLETED");
  });
});
