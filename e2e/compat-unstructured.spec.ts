/**
 * Unstructured's workflow and job API against the production server, with the requests its
 * Python client (unstructured-client) sends: `unstructured-api-key`, multipart files under
 * `input_files[]` (and plain `input_files`), no body, a bodiless cancel. Mirrors
 * lib/compat/unstructured.test.ts; answers are checked against the Platform API's schemas.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { auth, BASE, createOtherWorkspace, KEY } from "./api-helpers";
import { countRows, signIn } from "./helpers";

const jobInformationSchema = z.strictObject({
  id: z.uuid(),
  workflow_id: z.uuid(),
  workflow_name: z.string(),
  status: z.enum(["SCHEDULED", "IN_PROGRESS", "COMPLETED", "STOPPED", "FAILED"]),
  created_at: z.iso.datetime({ offset: true }),
  runtime: z.iso.duration().nullable().optional(),
  input_file_ids: z.array(z.string()).nullable().optional(),
  output_node_files: z.array(z.strictObject({ node_id: z.uuid(), file_id: z.string(), node_type: z.string(), node_subtype: z.string() })).nullable().optional(),
  job_type: z.enum(["ephemeral", "persistent", "scheduled", "template"]).default("ephemeral"),
});
type JobInformation = z.infer<typeof jobInformationSchema>;
const validationErrorSchema = z.object({
  detail: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })).min(1),
});
const errorSchema = z.object({ detail: z.string().min(1) });

const clientHeaders = (key = KEY) => ({ "unstructured-api-key": key, accept: "application/json", "user-agent": "speakeasy-sdk/python unstructured-client" });
const csv = "city,people\nLisbon,545000\nPorto,232000\nBraga,193000\n";

/** run_workflow: multipart with each file under `field`, or no body at all. */
function runWorkflow(uuid: string, files: { field: string; name: string; content: string; type: string }[] | null, key = KEY) {
  let body: FormData | undefined;
  if (files) {
    body = new FormData();
    for (const f of files) body.append(f.field, new Blob([f.content], { type: f.type }), f.name);
  }
  return fetch(`${BASE}/api/v1/workflows/${uuid}/run`, { method: "POST", headers: clientHeaders(key), body });
}
const csvFile = (field: string) => ({ field, name: "cities.csv", content: csv, type: "text/csv" });

async function poll(request: APIRequestContext, id: string): Promise<JobInformation> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await request.get(`/api/v1/jobs/${id}`, { headers: clientHeaders() });
    expect(res.status()).toBe(200);
    const job = jobInformationSchema.parse(await res.json());
    if (["COMPLETED", "FAILED", "STOPPED"].includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function workflowUuid(request: APIRequestContext, name: string): Promise<string> {
  const res = await request.get(`/api/v1/workflows/${name}`, { headers: auth });
  expect(res.status()).toBe(200);
  return (await res.json()).uuid;
}

test("Unstructured: run document-stats with input_files[] and input_files, poll to COMPLETED, see it in the console", async ({ request, page }) => {
  const uuid = await workflowUuid(request, "document-stats");
  const jobs: JobInformation[] = [];
  for (const field of ["input_files[]", "input_files"]) {
    const res = await runWorkflow(uuid, [csvFile(field)]);
    expect(res.status).toBe(202);
    const job = jobInformationSchema.parse(await res.json());
    expect(job).toMatchObject({ workflow_id: uuid, workflow_name: "document-stats", job_type: "ephemeral" });
    expect(job.input_file_ids).toHaveLength(1);
    const done = await poll(request, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.output_node_files?.map((f) => f.node_subtype)).toEqual(["read", "stats", "report"]);
    const run = await (await request.get(`/api/v1/runs/${job.id}`, { headers: auth })).json();
    expect(run).toMatchObject({ origin: "unstructured", status: "succeeded", outputs: { stats: { format: "csv", rows: 3 } } });
    expect(run.inputs.document.id).toBe(job.input_file_ids![0]);
    jobs.push(done);
  }

  await signIn(page);
  await page.goto("/w/demo/runs");
  const row = page.getByTestId("runs-table").locator("tr", { has: page.locator(`a[href$="${jobs[0].id}"]`) });
  await expect(row).toContainText("Unstructured API");
});

test("Unstructured: a job started with no body is cancelled (STOPPED)", async ({ request }) => {
  const name = `unstructured-slow-${randomBytes(3).toString("hex")}`;
  const created = await request.post("/api/v1/workflows", {
    headers: { ...auth, "content-type": "application/json" },
    data: { name, definition: { inputs: [{ name: "documents", type: "file_list", required: false }], steps: [{ id: "wait", kind: "delay", config: { ms: 15_000 } }] } },
  });
  expect(created.status()).toBe(201);
  const res = await runWorkflow(await workflowUuid(request, name), null);
  expect(res.status).toBe(202);
  const job = jobInformationSchema.parse(await res.json());
  await new Promise((r) => setTimeout(r, 300));
  const cancel = await request.post(`/api/v1/jobs/${job.id}/cancel`, { headers: clientHeaders() });
  expect(cancel.status()).toBe(200);
  expect(jobInformationSchema.parse(await cancel.json()).status).toBe("STOPPED");
  expect((await poll(request, job.id)).status).toBe("STOPPED");
});

test("Unstructured: refusals are FastAPI-shaped and store nothing", async ({ request }) => {
  const uuid = await workflowUuid(request, "document-stats");
  const refused = async (send: () => Promise<{ status: number; json(): Promise<unknown> }>, status: number, schema: z.ZodType) => {
    const runs = countRows("Run");
    const files = countRows("File");
    const res = await send();
    expect(res.status).toBe(status);
    const parsed = schema.parse(await res.json()) as { detail: unknown };
    expect(countRows("Run")).toBe(runs);
    expect(countRows("File")).toBe(files);
    return parsed;
  };
  const asFetch = async (p: Promise<import("@playwright/test").APIResponse>) => {
    const r = await p;
    return { status: r.status(), json: () => r.json() };
  };
  await refused(() => runWorkflow(uuid, [csvFile("input_files[]")], "fd_not_a_key"), 401, errorSchema);
  await refused(() => asFetch(request.get(`/api/v1/jobs/${uuid}`, { headers: clientHeaders("fd_not_a_key") })), 401, errorSchema);
  await refused(() => runWorkflow("0b7e8c52-9d7a-4d4e-9a55-4c6e1f0f1a11", [csvFile("input_files[]")]), 404, errorSchema);
  await refused(() => asFetch(request.get("/api/v1/jobs/0b7e8c52-9d7a-4d4e-9a55-4c6e1f0f1a11", { headers: clientHeaders() })), 404, errorSchema);
  await refused(() => runWorkflow("document-stats", [csvFile("input_files[]")]), 422, validationErrorSchema);
  // greet has no file input; document-stats takes one file and only text/CSV; it needs one.
  const greet = await refused(async () => runWorkflow(await workflowUuid(request, "greet"), [csvFile("input_files[]")]), 422, validationErrorSchema);
  expect((greet.detail as { loc: unknown[] }[])[0].loc).toEqual(["path", "workflow_id"]);
  await refused(() => runWorkflow(uuid, [csvFile("input_files[]"), csvFile("input_files[]")]), 422, validationErrorSchema);
  await refused(() => runWorkflow(uuid, [{ field: "input_files[]", name: "scan.pdf", content: "%PDF-1.4", type: "application/pdf" }]), 422, validationErrorSchema);
  await refused(() => runWorkflow(uuid, null), 422, validationErrorSchema);

  // Another workspace's key: the demo workflow and its jobs are unknown to it.
  const other = createOtherWorkspace();
  await refused(() => runWorkflow(uuid, [csvFile("input_files[]")], other.key), 404, errorSchema);
  const mine = jobInformationSchema.parse(await (await runWorkflow(uuid, [csvFile("input_files[]")])).json());
  await poll(request, mine.id);
  await refused(() => asFetch(request.get(`/api/v1/jobs/${mine.id}`, { headers: clientHeaders(other.key) })), 404, errorSchema);
  await refused(() => asFetch(request.post(`/api/v1/jobs/${mine.id}/cancel`, { headers: clientHeaders(other.key) })), 404, errorSchema);
});
