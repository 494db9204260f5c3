/** Workflows and API keys over real HTTP: create from JSON and YAML, publish, labels, keys. */
import { expect, test } from "@playwright/test";
import { createdApiKeySchema, versionListSchema, workflowSchema } from "../lib/schemas/api-workflows";
import { auth } from "./api-helpers";

const json = { ...auth, "content-type": "application/json" };
const yaml = { ...auth, "content-type": "application/yaml" };

test("create a workflow from YAML, publish v2 from JSON, move labels, run by label", async ({ request }) => {
  const name = `ci-flow-${Date.now()}`;
  const created = await request.post("/api/v1/workflows", {
    headers: yaml,
    data: `name: ${name}
title: From CI
labels: [production]
inputs:
  - name: who
    type: text
    default: team
steps:
  - id: hello
    kind: template
    config:
      template: "Hi {{ inputs.who }}"
outputs:
  text: "{{ steps.hello.output }}"
`,
  });
  expect(created.status()).toBe(201);
  const wf = workflowSchema.parse(await created.json());
  expect(wf).toMatchObject({ name, title: "From CI", latest_version: 1, labels: [{ name: "production", version: 1 }] });

  const dup = await request.post("/api/v1/workflows", { headers: json, data: { name, definition: { steps: [{ id: "a", kind: "template", config: { template: "x" } }] } } });
  expect(dup.status()).toBe(409);

  const v2 = await request.post(`/api/v1/workflows/${name}/versions`, {
    headers: json,
    data: { message: "louder", labels: ["staging"], definition: { inputs: [{ name: "who", type: "text" }], steps: [{ id: "hello", kind: "template", config: { template: "HI {{ inputs.who }}" } }], outputs: { text: "{{ steps.hello.output }}" } } },
  });
  expect(v2.status()).toBe(201);
  expect(await v2.json()).toMatchObject({ number: 2, message: "louder", labels: ["staging"] });

  const versions = versionListSchema.parse(await (await request.get(`/api/v1/workflows/${wf.uuid}/versions`, { headers: auth })).json());
  expect(versions.data.map((v) => [v.number, v.labels])).toEqual([[2, ["staging"]], [1, ["production"]]]);
  const one = await (await request.get(`/api/v1/workflows/${wf.id}/versions/v2`, { headers: auth })).json();
  expect(one.definition.steps[0].config.template).toBe("HI {{ inputs.who }}");

  const moved = await request.put(`/api/v1/workflows/${name}/labels/production`, { headers: json, data: { version: 2 } });
  expect(moved.status()).toBe(200);
  expect(await moved.json()).toMatchObject({ name: "production", version: 2 });
  const labels = await (await request.get(`/api/v1/workflows/${name}/labels`, { headers: auth })).json();
  expect(labels.data.map((l: { name: string; version: number }) => [l.name, l.version])).toEqual([["production", 2], ["staging", 2]]);
  expect((await request.put(`/api/v1/workflows/${name}/labels/production`, { headers: json, data: { version: 9 } })).status()).toBe(404);

  const run = await (await request.post(`/api/v1/workflows/${name}/runs`, { headers: json, data: { label: "production", inputs: { who: "ops" } } })).json();
  expect(run).toMatchObject({ status: "succeeded", version: 2, outputs: { text: "HI ops" } });

  const list = await (await request.get("/api/v1/workflows", { headers: auth })).json();
  expect(list.data.map((w: { name: string }) => w.name)).toEqual(expect.arrayContaining(["greet", name]));
  expect((await request.get(`/api/v1/workflows/${name}`, { headers: auth })).status()).toBe(200);
});

test("definition errors are 422 with every problem listed", async ({ request }) => {
  const res = await request.post("/api/v1/workflows", {
    headers: json,
    data: {
      name: `broken-${Date.now()}`,
      definition: {
        inputs: [{ name: "x", type: "text" }],
        steps: [
          { id: "a", kind: "no_such_kind", config: {} },
          { id: "b", kind: "template", config: { template: "{{ steps.ghost.output }}" } },
        ],
      },
    },
  });
  expect(res.status()).toBe(422);
  const body = await res.json();
  expect(body.code).toBe("validation_error");
  expect(body.detail.length).toBeGreaterThanOrEqual(2);
  expect(JSON.stringify(body.detail)).toMatch(/no_such_kind/);
  expect(JSON.stringify(body.detail)).toMatch(/ghost/);
  for (const d of body.detail) expect(Object.keys(d).sort()).toEqual(["loc", "msg", "type"]);

  const yamlSyntax = await request.post("/api/v1/workflows", { headers: { ...auth, "content-type": "text/yaml" }, data: "name: x\nsteps: [a, b\n" });
  expect(yamlSyntax.status()).toBe(400);
  expect((await yamlSyntax.json()).code).toBe("invalid_yaml");
});

test("API keys: shown once, hashed, member keys cannot manage, revoked keys get 401, last use recorded", async ({ request }) => {
  const created = await request.post("/api/v1/api-keys", { headers: json, data: { name: "ci", role: "member", workflow: "greet", label: "production" } });
  expect(created.status()).toBe(201);
  const key = createdApiKeySchema.parse(await created.json());
  expect(key.key).toMatch(/^fd_/);
  expect(key).toMatchObject({ role: "member", workflow: { name: "greet" }, label: "production", last4: key.key.slice(-4), last_used_at: null });

  const memberAuth = { authorization: `Bearer ${key.key}` };
  const who = await (await request.get("/api/v1/workspace", { headers: { "x-api-key": key.key } })).json();
  expect(who).toMatchObject({ slug: "demo", role: "member", api_key_id: key.id });
  expect((await request.post("/api/v1/workflows/greet/runs", { headers: { ...memberAuth, "content-type": "application/json" }, data: {} })).status()).toBe(200);
  expect((await request.post("/api/v1/api-keys", { headers: { ...memberAuth, "content-type": "application/json" }, data: { name: "x" } })).status()).toBe(403);
  expect((await request.get("/api/v1/workspace/signing-secret", { headers: memberAuth })).status()).toBe(403);

  const listed = await (await request.get("/api/v1/api-keys", { headers: auth })).json();
  const mine = listed.data.find((k: { id: number }) => k.id === key.id);
  expect(mine.last_used_at).not.toBeNull();
  expect(JSON.stringify(listed)).not.toContain(key.key);

  const revoked = await request.delete(`/api/v1/api-keys/${key.id}`, { headers: auth });
  expect(revoked.status()).toBe(200);
  expect((await revoked.json()).revoked_at).not.toBeNull();
  const after = await request.get("/api/v1/runs", { headers: memberAuth });
  expect(after.status()).toBe(401);
  expect(after.headers()["www-authenticate"]).toContain("Bearer");
  expect((await request.delete(`/api/v1/api-keys/999999`, { headers: auth })).status()).toBe(404);
});
