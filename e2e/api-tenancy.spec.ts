/**
 * An attacker workspace with its own admin key tries every endpoint on the demo workspace's
 * objects (by integer id, UUID and name): every answer is 404, exactly like an unknown id,
 * and nothing of the victim changes. And the other way round.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { auth, createOtherWorkspace } from "./api-helpers";
import { countRows } from "./helpers";

interface Target {
  workflowId: number;
  workflowUuid: string;
  workflowName: string;
  runId: string;
  keyId: number;
}

async function targetsOf(request: APIRequestContext, headers: Record<string, string>, workflowName: string): Promise<Target> {
  const wf = await (await request.get(`/api/v1/workflows/${workflowName}`, { headers })).json();
  const run = await (await request.post(`/api/v1/workflows/${workflowName}/runs`, { headers: { ...headers, "content-type": "application/json" }, data: {} })).json();
  expect(run.status).toBe("succeeded");
  const key = await (await request.post("/api/v1/api-keys", { headers: { ...headers, "content-type": "application/json" }, data: { name: "victim key" } })).json();
  return { workflowId: wf.id, workflowUuid: wf.uuid, workflowName, runId: run.id, keyId: key.id };
}

/** Every endpoint that takes an id, aimed at `t`, as `headers`. */
function attacks(request: APIRequestContext, headers: Record<string, string>, t: Target) {
  const jsonHeaders = { ...headers, "content-type": "application/json" };
  const refs = [String(t.workflowId), t.workflowUuid];
  return [
    ...refs.flatMap((w) => [
      [`GET /workflows/${w}`, () => request.get(`/api/v1/workflows/${w}`, { headers })],
      [`GET /workflows/${w}/versions`, () => request.get(`/api/v1/workflows/${w}/versions`, { headers })],
      [`GET /workflows/${w}/versions/1`, () => request.get(`/api/v1/workflows/${w}/versions/1`, { headers })],
      [`GET /workflows/${w}/labels`, () => request.get(`/api/v1/workflows/${w}/labels`, { headers })],
      [`PUT /workflows/${w}/labels/production`, () => request.put(`/api/v1/workflows/${w}/labels/production`, { headers: jsonHeaders, data: { version: 1 } })],
      [`POST /workflows/${w}/versions`, () => request.post(`/api/v1/workflows/${w}/versions`, {
        headers: jsonHeaders, data: { definition: { steps: [{ id: "x", kind: "template", config: { template: "pwned" } }] } },
      })],
      [`POST /workflows/${w}/runs`, () => request.post(`/api/v1/workflows/${w}/runs`, { headers: jsonHeaders, data: {} })],
      [`GET /runs?workflow=${w}`, () => request.get(`/api/v1/runs?workflow=${w}`, { headers })],
    ] as const),
    [`GET /runs/${t.runId}`, () => request.get(`/api/v1/runs/${t.runId}`, { headers })],
    [`GET /runs/${t.runId}/events`, () => request.get(`/api/v1/runs/${t.runId}/events`, { headers })],
    [`POST /runs/${t.runId}/cancel`, () => request.post(`/api/v1/runs/${t.runId}/cancel`, { headers })],
    [`POST /runs/${t.runId}/rerun`, () => request.post(`/api/v1/runs/${t.runId}/rerun`, { headers: jsonHeaders, data: {} })],
    [`DELETE /api-keys/${t.keyId}`, () => request.delete(`/api/v1/api-keys/${t.keyId}`, { headers })],
  ] as const;
}

test("every endpoint answers 404 for another workspace's objects, both ways, and changes nothing", async ({ request }) => {
  const other = createOtherWorkspace();
  const otherJson = { ...other.headers, "content-type": "application/json" };
  // The other workspace gets a workflow of its own (named like the victim's, too).
  for (const name of ["private-flow", "greet"]) {
    const res = await request.post("/api/v1/workflows", {
      headers: otherJson, data: { name, labels: ["production"], definition: { steps: [{ id: "s", kind: "template", config: { template: "secret" } }] } },
    });
    expect(res.status()).toBe(201);
  }
  const victim = await targetsOf(request, auth, "greet");
  const attacker = await targetsOf(request, other.headers, "private-flow");
  const runsBefore = countRows("Run");

  for (const [direction, headers, target] of [["attacker→demo", other.headers, victim], ["demo→attacker", auth, attacker]] as const) {
    for (const [name, call] of attacks(request, headers, target)) {
      const res = await call();
      expect(res.status(), `${direction} ${name}`).toBe(404);
      expect((await res.json()).code, `${direction} ${name}`).toBe("not_found");
    }
  }
  expect(countRows("Run")).toBe(runsBefore);

  // Same name in both workspaces: each key sees its own workflow.
  const theirGreet = await (await request.post("/api/v1/workflows/greet/runs", { headers: otherJson, data: {} })).json();
  expect(theirGreet.outputs).toEqual({});
  expect(theirGreet.steps.map((s: { id: string }) => s.id)).toEqual(["s"]);

  // Lists show only the caller's own objects.
  const theirRuns = await (await request.get("/api/v1/runs?limit=100", { headers: other.headers })).json();
  expect(theirRuns.data.some((r: { id: string }) => r.id === victim.runId)).toBe(false);
  expect(theirRuns.data.length).toBeGreaterThanOrEqual(2);
  const theirFlows = await (await request.get("/api/v1/workflows", { headers: other.headers })).json();
  expect(theirFlows.data.map((w: { name: string }) => w.name).sort()).toEqual(["greet", "private-flow"]);
  const theirKeys = await (await request.get("/api/v1/api-keys", { headers: other.headers })).json();
  expect(theirKeys.data.some((k: { id: number }) => k.id === victim.keyId)).toBe(false);
  expect((await (await request.get("/api/v1/workspace", { headers: other.headers })).json()).slug).toBe(other.slug);

  // The victim's objects are as they were.
  expect((await (await request.get(`/api/v1/runs/${victim.runId}`, { headers: auth })).json()).status).toBe("succeeded");
  const labels = await (await request.get(`/api/v1/workflows/greet/labels`, { headers: auth })).json();
  expect(labels.data.find((l: { name: string }) => l.name === "production").version).toBe(1);
  const keys = await (await request.get("/api/v1/api-keys", { headers: auth })).json();
  expect(keys.data.find((k: { id: number }) => k.id === victim.keyId).revoked_at).toBeNull();

  // A file uploaded by the victim is unknown to the attacker's runs.
  const upload = await (await request.post("/api/v1/files", {
    headers: auth, multipart: { file: { name: "v.txt", mimeType: "text/plain", buffer: Buffer.from("victim") } },
  })).json();
  const fileRun = await request.post("/api/v1/workflows/private-flow/runs", { headers: otherJson, data: {} });
  expect(fileRun.status()).toBe(200);
  const res = await request.post("/api/v1/workflows", {
    headers: otherJson, data: { name: "reader", definition: { inputs: [{ name: "f", type: "file" }], steps: [{ id: "r", kind: "extract", config: { file: "{{ inputs.f }}" } }] } },
  });
  expect(res.status()).toBe(201);
  const steal = await request.post("/api/v1/workflows/reader/runs", { headers: otherJson, data: { inputs: { f: upload.id } } });
  expect(steal.status()).toBe(422);
  expect(JSON.stringify(await steal.json())).toMatch(/Unknown file/);
});
