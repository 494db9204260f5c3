/**
 * Unstructured's workflow and job API over real HTTP (real database, in-process executor).
 * Its official client is Python (unstructured-client, Speakeasy-generated), so these tests
 * send exactly the requests it sends — `unstructured-api-key`, multipart files under
 * `input_files[]` (and the plain `input_files` other clients use), no body at all, a bodiless
 * cancel — and parse every answer with schemas written from the Platform API's OpenAPI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { startCompatTestServer, type CompatTestServer } from "./kit/test-server";
import { unstructuredEndpoints } from "./unstructured";

// ---- The Platform API's schemas (seed: run-workflow; JobInformation, NodeFileMetadata, errors)
const jobStatus = z.enum(["SCHEDULED", "IN_PROGRESS", "COMPLETED", "STOPPED", "FAILED"]);
const jobInformationSchema = z.strictObject({
  id: z.uuid(),
  workflow_id: z.uuid(),
  workflow_name: z.string(),
  status: jobStatus,
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

let a: Actor;
let b: Actor;
let keyA: string;
let keyB: string;
const wf: Record<string, string> = {};
let server: CompatTestServer;

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "unstructured-a@example.test" } }),
    db.user.create({ data: { email: "unstructured-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "unstructured-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "unstructured-b", name: "B" });
  const doc = {
    inputs: [{ name: "document", type: "file", accept: [".txt", ".csv", "text/plain", "text/csv"] }],
    steps: [
      { id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } },
      { id: "title", kind: "template", config: { template: "{{ inputs.document.name }}: {{ steps.read.output.lines }} lines" } },
    ],
    outputs: { text: "{{ steps.read.output.text }}", title: "{{ steps.title.output }}" },
  };
  const defs: Record<string, unknown> = {
    doc,
    docs: {
      inputs: [{ name: "documents", type: "file_list" }],
      steps: [{ id: "names", kind: "code", config: { code: "return inputs.documents.map((d) => d.name).sort();" } }],
      outputs: { names: "{{ steps.names.output }}" },
    },
    slow: {
      inputs: [{ name: "documents", type: "file_list", required: false }],
      steps: [{ id: "wait", kind: "delay", config: { ms: 10_000 } }],
    },
    broken: {
      inputs: [{ name: "document", type: "file" }],
      steps: [{ id: "explode", kind: "code", config: { code: "throw new Error('partitioner crashed on ' + inputs.document.name);" } }],
    },
    plain: { inputs: [{ name: "name", type: "text", default: "x" }], steps: [{ id: "hi", kind: "template", config: { template: "hi" } }] },
  };
  for (const [name, definition] of Object.entries(defs)) wf[name] = (await createWorkflow(a, { name, definition })).uuid;
  wf.docB = (await createWorkflow(b, { name: "doc", definition: doc })).uuid;
  keyA = (await createApiKey(a, { name: "unstructured", role: "member" })).key;
  keyB = (await createApiKey(b, { name: "unstructured", role: "member" })).key;
  server = await startCompatTestServer(unstructuredEndpoints);
});

afterAll(async () => {
  await server?.close();
  await shutdownSandboxPool();
  await db.$disconnect();
});

/** The headers the Speakeasy client sets on every call. */
const clientHeaders = (key: string) => ({
  "unstructured-api-key": key, accept: "application/json", "user-agent": "speakeasy-sdk/python 0.42.0 2.0.0 1.0.0 unstructured-client",
});

type Upload = { field: "input_files" | "input_files[]"; name: string; type: string; content: string };

/** client.workflows.run_workflow(request={workflow_id, body_run_workflow: {input_files: [...]}}). */
function runWorkflow(workflowId: string, uploads: Upload[] | null, key = keyA) {
  let body: FormData | undefined;
  if (uploads) {
    body = new FormData();
    for (const u of uploads) body.append(u.field, new Blob([u.content], { type: u.type }), u.name);
  }
  return fetch(`${server.url}/api/v1/workflows/${workflowId}/run`, { method: "POST", headers: clientHeaders(key), body });
}

const getJob = (id: string, key = keyA) => fetch(`${server.url}/api/v1/jobs/${id}`, { headers: clientHeaders(key) });
/** client.jobs.cancel_job(request={job_id}): a POST with no body. */
const cancelJob = (id: string, key = keyA) => fetch(`${server.url}/api/v1/jobs/${id}/cancel`, { method: "POST", headers: clientHeaders(key) });

async function accepted(res: Response): Promise<JobInformation> {
  expect(res.status).toBe(202);
  return jobInformationSchema.parse(await res.json());
}

async function pollJob(id: string, timeoutMs = 15_000): Promise<JobInformation> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await getJob(id);
    expect(res.status).toBe(200);
    const job = jobInformationSchema.parse(await res.json());
    if (["COMPLETED", "FAILED", "STOPPED"].includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outputsOf(jobId: string) {
  const run = await db.run.findFirstOrThrow({ where: { uuid: jobId }, include: { payload: true } });
  return { run, outputs: JSON.parse(run.payload?.outputs ?? "null") };
}

async function counts() {
  return { runs: await db.run.count(), files: await db.file.count() };
}

/** A refused request answers `status` with `schema` and stores no run and no file. */
async function expectRefused<T>(send: () => Promise<Response>, status: number, schema: z.ZodType<T>): Promise<T> {
  const before = await counts();
  const res = await send();
  expect(res.status).toBe(status);
  const body = schema.parse(await res.json());
  expect(await counts()).toEqual(before);
  return body;
}

const txt = (field: Upload["field"], name: string, content: string): Upload => ({ field, name, type: "text/plain", content });

describe("Unstructured: run a workflow, poll the job", () => {
  it("input_files[] (the Python client's field): 202 JobInformation, polling to COMPLETED, the file filled the input", async () => {
    const job = await accepted(await runWorkflow(wf.doc, [txt("input_files[]", "notes.txt", "one\ntwo\nthree")]));
    expect(job).toMatchObject({ workflow_id: wf.doc, workflow_name: "doc", job_type: "ephemeral" });
    expect(["SCHEDULED", "IN_PROGRESS", "COMPLETED"]).toContain(job.status);
    expect(job.input_file_ids).toHaveLength(1);

    const done = await pollJob(job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.runtime).toMatch(/^PT\d+(\.\d+)?S$/);
    expect(done.input_file_ids).toEqual(job.input_file_ids);
    expect(done.output_node_files?.map((f) => [f.node_subtype, f.node_type, f.file_id])).toEqual([
      ["read", "extract", job.input_file_ids![0]], ["title", "template", job.input_file_ids![0]],
    ]);
    // Node ids are stable per workflow step.
    const again = await pollJob((await accepted(await runWorkflow(wf.doc, [txt("input_files[]", "b.txt", "b")]))).id);
    expect(again.output_node_files?.map((f) => f.node_id)).toEqual(done.output_node_files?.map((f) => f.node_id));

    const { run, outputs } = await outputsOf(job.id);
    expect(run).toMatchObject({ origin: "unstructured", workspaceId: a.workspaceId, status: "succeeded" });
    expect(outputs).toEqual({ text: "one\ntwo\nthree", title: "notes.txt: 3 lines" });
    expect(await db.file.findUniqueOrThrow({ where: { id: job.input_file_ids![0] } })).toMatchObject({ source: "upload", name: "notes.txt", workspaceId: a.workspaceId });
  });

  it("input_files without brackets, several files, and both spellings in one request fill a file-list input", async () => {
    const plain = await accepted(await runWorkflow(wf.docs, [txt("input_files", "a.txt", "a"), txt("input_files", "b.txt", "b")]));
    expect(plain.input_file_ids).toHaveLength(2);
    expect((await pollJob(plain.id)).status).toBe("COMPLETED");
    expect((await outputsOf(plain.id)).outputs).toEqual({ names: ["a.txt", "b.txt"] });

    const mixed = await accepted(await runWorkflow(wf.docs, [txt("input_files", "x.txt", "x"), txt("input_files[]", "y.txt", "y")]));
    expect((await pollJob(mixed.id)).status).toBe("COMPLETED");
    expect((await outputsOf(mixed.id)).outputs).toEqual({ names: ["x.txt", "y.txt"] });
  });

  it("a failing step ends the job FAILED", async () => {
    const job = await accepted(await runWorkflow(wf.broken, [txt("input_files[]", "bad.txt", "x")]));
    const done = await pollJob(job.id);
    expect(done.status).toBe("FAILED");
    expect(done.output_node_files).toEqual([]);
    expect((await outputsOf(job.id)).run.errorMessage).toMatch(/partitioner crashed on bad.txt/);
  });

  it("no body is valid; cancelling the running job stops it (STOPPED), a finished job stays as it was", async () => {
    const job = await accepted(await fetch(`${server.url}/api/v1/workflows/${wf.slow}/run`, { method: "POST", headers: clientHeaders(keyA) }));
    expect(job.input_file_ids).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(jobInformationSchema.parse(await (await getJob(job.id)).json()).status).toBe("IN_PROGRESS");

    const res = await cancelJob(job.id);
    expect(res.status).toBe(200);
    const cancelled = jobInformationSchema.parse(await res.json());
    expect(cancelled).toMatchObject({ id: job.id, status: "STOPPED" });
    expect((await pollJob(job.id)).status).toBe("STOPPED");
    expect((await outputsOf(job.id)).run.status).toBe("cancelled");

    const finished = await db.run.findFirstOrThrow({ where: { workspaceId: a.workspaceId, origin: "unstructured", status: "succeeded" } });
    const again = await cancelJob(finished.uuid);
    expect(again.status).toBe(200);
    expect(jobInformationSchema.parse(await again.json()).status).toBe("COMPLETED");
  });

  it("an empty multipart body is valid too", async () => {
    const form = new FormData();
    form.append("note", "no files here");
    const job = await accepted(await fetch(`${server.url}/api/v1/workflows/${wf.slow}/run`, { method: "POST", headers: clientHeaders(keyA), body: form }));
    const res = await cancelJob(job.id);
    expect(jobInformationSchema.parse(await res.json()).status).toBe("STOPPED");
  });
});

describe("Unstructured: refusals store nothing", () => {
  it("a workflow without a file or file-list input is a 422", async () => {
    const body = await expectRefused(() => runWorkflow(wf.plain, [txt("input_files[]", "a.txt", "a")]), 422, validationErrorSchema);
    expect(body.detail[0]).toMatchObject({ loc: ["path", "workflow_id"], msg: expect.stringMatching(/no file/) });
  });

  it("uploads the workflow refuses are removed again (too many files, wrong type, missing file)", async () => {
    const two = await expectRefused(() => runWorkflow(wf.doc, [txt("input_files[]", "a.txt", "a"), txt("input_files[]", "b.txt", "b")]), 422, validationErrorSchema);
    expect(two.detail[0]).toMatchObject({ loc: ["body", "input_files"], msg: expect.stringMatching(/takes one file/) });
    const pdf = await expectRefused(
      () => runWorkflow(wf.doc, [{ field: "input_files[]", name: "scan.pdf", type: "application/pdf", content: "%PDF-1.4" }]), 422, validationErrorSchema,
    );
    expect(pdf.detail[0].loc).toEqual(["inputs", "document"]);
    const none = await expectRefused(() => fetch(`${server.url}/api/v1/workflows/${wf.doc}/run`, { method: "POST", headers: clientHeaders(keyA) }), 422, validationErrorSchema);
    expect(none.detail[0].loc).toContain("document");
  });

  it("bad and missing keys are 401 {detail}", async () => {
    const one = [txt("input_files[]", "a.txt", "a")];
    expect((await expectRefused(() => runWorkflow(wf.doc, one, "fd_wrong"), 401, errorSchema)).detail).toMatch(/Invalid API key/);
    await expectRefused(() => fetch(`${server.url}/api/v1/workflows/${wf.doc}/run`, { method: "POST" }), 401, errorSchema);
    await expectRefused(() => fetch(`${server.url}/api/v1/workflows/${wf.doc}/run`, { method: "POST", headers: { authorization: `Bearer ${keyA}` } }), 401, errorSchema);
    await expectRefused(() => getJob("00000000-0000-4000-8000-000000000000", "fd_wrong"), 401, errorSchema);
    await expectRefused(() => cancelJob("00000000-0000-4000-8000-000000000000", "fd_wrong"), 401, errorSchema);
  });

  it("unknown workflows and jobs are 404; ids that are not UUIDs (names included) are 422", async () => {
    const one = [txt("input_files[]", "a.txt", "a")];
    const unknown = "0b7e8c52-9d7a-4d4e-9a55-4c6e1f0f1a11";
    expect((await expectRefused(() => runWorkflow(unknown, one), 404, errorSchema)).detail).toMatch(/not found/);
    expect((await expectRefused(() => getJob(unknown), 404, errorSchema)).detail).toMatch(/Job .* not found/);
    await expectRefused(() => cancelJob(unknown), 404, errorSchema);
    for (const ref of ["doc", "42"]) {
      const body = await expectRefused(() => runWorkflow(ref, one), 422, validationErrorSchema);
      expect(body.detail[0]).toMatchObject({ loc: ["path", "workflow_id"], type: "uuid_parsing" });
    }
    expect((await expectRefused(() => getJob("nope"), 422, validationErrorSchema)).detail[0].loc).toEqual(["path", "job_id"]);
  });

  it("another workspace's workflows and jobs are 404, and its cancel changes nothing", async () => {
    const one = [txt("input_files[]", "a.txt", "a")];
    await expectRefused(() => runWorkflow(wf.doc, one, keyB), 404, errorSchema);
    await expectRefused(() => runWorkflow(wf.docB, one, keyA), 404, errorSchema);
    const job = await accepted(await fetch(`${server.url}/api/v1/workflows/${wf.slow}/run`, { method: "POST", headers: clientHeaders(keyA) }));
    await expectRefused(() => getJob(job.id, keyB), 404, errorSchema);
    await expectRefused(() => cancelJob(job.id, keyB), 404, errorSchema);
    expect(jobInformationSchema.parse(await (await getJob(job.id)).json()).status).not.toBe("STOPPED");
    expect((await db.run.findFirstOrThrow({ where: { uuid: job.id } })).cancelRequestedAt).toBeNull();
    await cancelJob(job.id);
  });

  it("a text value under input_files is a 422; a body that is not multipart is a 415", async () => {
    const form = new FormData();
    form.append("input_files[]", "not a file");
    const text = await expectRefused(() => fetch(`${server.url}/api/v1/workflows/${wf.doc}/run`, { method: "POST", headers: clientHeaders(keyA), body: form }), 422, validationErrorSchema);
    expect(text.detail[0].loc).toEqual(["body", "input_files", 0]);
    const json = await expectRefused(() => fetch(`${server.url}/api/v1/workflows/${wf.doc}/run`, {
      method: "POST", headers: { ...clientHeaders(keyA), "content-type": "application/json" }, body: JSON.stringify({ input_files: [] }),
    }), 415, errorSchema);
    expect(json.detail).toMatch(/multipart/);
  });
});
