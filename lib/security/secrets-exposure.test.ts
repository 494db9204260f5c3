/**
 * Workspace secrets never come back out. Secrets with distinctive values are saved; llm runs
 * use them against local providers — one that works and four that misbehave by repeating the
 * key in what they answer (a 401 and a 500 error body, an error inside the stream, a stream
 * event that is not JSON). Then everything a user can reach is fetched: every API route's
 * answer about those runs (documents with every step's output, the event streams), every
 * compatibility API's view of them, every console page (signed in as the owner), the share
 * pages and their streams, the answers of the secrets server actions, the callback body, and
 * every table of the database. No secret value may appear anywhere.
 *
 * What the product promises for a run that uses a secret (lib/engine/steps/llm.ts): the key is
 * sent to its provider only, and never appears in an error, a log or an output — a provider
 * that repeats it gets it masked as "***". The tests check that the masking happened, so a
 * provider that did not echo cannot make them pass vacuously.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asSignedIn, serverActionModules } from "./action-session";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { TestServer } from "../api/test-server";
import { testServerUnavailable } from "../api/test-server";
import { startTestServer as startLocalServer, type TestServer as LocalServer } from "../net/test-server";
import { createApiKey } from "../services/api-keys";
import { setSecret } from "../services/secrets";
import { createShareLink } from "../services/share-links";
import { createWorkflow } from "../services/workflows";
import { startFakeOpenAI, type FakeOpenAI } from "../../scripts/fake-openai";
import { call, signIn, startSecurityServer, type Answer } from "./http-kit";
import { ROOT } from "./route-inventory";
import { createTenant, findInDatabase, PASSWORD, type Tenant } from "./tenants";

const skip = testServerUnavailable();

const tag = Math.random().toString(36).slice(2, 8);
const KEYS = {
  ok: `sk-ok-${tag}-7c1e9a`,
  echo401: `sk-echo401-${tag}-31d0`,
  echo500: `sk-echo500-${tag}-8e2b`,
  midstream: `sk-midstream-${tag}-55aa`,
  badjson: `sk-badjson-${tag}-c0de`,
};
const PLAIN = `plain-secret-${tag}-0f9d1c`;
const SAVED_BY_ACTION = `action-secret-${tag}-42ff`;

let server: TestServer;
let t: Tenant;
let provider: FakeOpenAI;
let nasty: LocalServer;
let receiver: LocalServer;
let cookie: string;
let boundKey: string;
const runs: { name: string; uuid: string; id: number; status: string }[] = [];
const shareTokens: string[] = [];

/** Every secret value the workspace holds (what must never be answered or stored in clear). */
const needles = () => [...Object.values(KEYS), PLAIN, SAVED_BY_ACTION, t.secretValue];

/** Fails with where it was found, never printing the secret itself. */
function expectNoSecret(where: string, text: string) {
  for (const secret of needles()) {
    if (text.includes(secret)) throw new Error(`${where} contains the secret value ${secret.slice(0, 10)}…`);
  }
}

const llmWorkflow = (secretName: string) => ({
  inputs: [{ name: "question", type: "text", default: "hello" }],
  steps: [{ id: "ask", kind: "llm", config: { provider: secretName, prompt: "{{ inputs.question }}" } }],
  outputs: { answer: "{{ steps.ask.output.text }}" },
});

beforeAll(async () => {
  if (skip) return;
  await applyMigrations();
  t = await createTenant("secrets");
  provider = await startFakeOpenAI({ apiKey: KEYS.ok });
  // A provider that repeats the bearer key back in every way an error can carry text.
  nasty = await startLocalServer((req, res) => {
    const key = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
    const route = (req.url ?? "").split("/")[1];
    if (route === "echo401" || route === "echo500") {
      res.writeHead(route === "echo401" ? 401 : 500, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (route === "midstream") res.end(`data: ${JSON.stringify({ error: { message: `quota exceeded for ${key}` } })}\n\n`);
    else res.end(`data: this is not JSON, key=${key}\n\n`);
  });
  receiver = await startLocalServer((_req, res) => res.writeHead(204).end());

  const providers: Record<string, string> = {
    llm: JSON.stringify({ base_url: provider.url, api_key: KEYS.ok, model: "fake-gpt" }),
    echo401: JSON.stringify({ base_url: `${nasty.origin}/echo401`, api_key: KEYS.echo401, model: "m" }),
    echo500: JSON.stringify({ base_url: `${nasty.origin}/echo500`, api_key: KEYS.echo500, model: "m" }),
    midstream: JSON.stringify({ base_url: `${nasty.origin}/midstream`, api_key: KEYS.midstream, model: "m" }),
    badjson: JSON.stringify({ base_url: `${nasty.origin}/badjson`, api_key: KEYS.badjson, model: "m" }),
    plain: PLAIN,
  };
  for (const [name, value] of Object.entries(providers)) await setSecret(t.owner, name, value);
  for (const name of ["llm", "echo401", "echo500", "midstream", "badjson"]) await createWorkflow(t.owner, { name: `ask-${name}`, definition: llmWorkflow(name) });
  boundKey = (await createApiKey(t.owner, { name: "dify", workflow: "ask-llm" })).key;

  const allow = [provider.url, nasty.origin, receiver.origin].map((u) => new URL(u).host).join(",");
  server = await startSecurityServer({ FLOWDECK_FETCH_ALLOW: allow });

  // The runs, executed by the server (callbacks to the local receiver), all at once.
  await Promise.all(["llm", "echo401", "echo500", "midstream", "badjson"].map(async (name) => {
    const res = await call(`${server.url}/api/v1/workflows/ask-${name}/runs`, {
      method: "POST", json: { inputs: { question: "tokens:5" }, callback_url: `${receiver.origin}/hook` }, headers: { authorization: `Bearer ${t.adminKey}` },
    });
    expect(res.status, res.text).toBe(200);
    const id = (await db.run.findUniqueOrThrow({ where: { uuid: res.json.id }, select: { id: true } })).id;
    runs.push({ name, uuid: res.json.id, id, status: res.json.status });
    shareTokens.push((await createShareLink(t.owner, res.json.id, { includeInputs: true })).token);
  }));
  // Dify runs the bound workflow.
  const dify = await call(`${server.url}/v1/workflows/run`, { method: "POST", json: { inputs: {}, user: "u" }, headers: { authorization: `Bearer ${boundKey}` } });
  expect(dify.status, dify.text).toBe(200);
  cookie = await signIn(server.url, t.ownerEmail, PASSWORD);
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([provider?.close(), nasty?.close(), receiver?.close()]);
  await shutdownSandboxPool();
});

describe.skipIf(skip)("secrets never come back out", () => {
  it("the runs used the secrets: each provider got its key, the good one answered, the bad ones had their echo masked", async () => {
    expect(provider.requests.map((r) => r.authorization)).toContain(`Bearer ${KEYS.ok}`);
    for (const name of ["echo401", "echo500", "midstream", "badjson"] as const) {
      expect(nasty.requests.some((r) => r.headers.authorization === `Bearer ${KEYS[name]}`), name).toBe(true);
    }
    const byName = Object.fromEntries(runs.map((r) => [r.name, r]));
    expect(byName.llm.status).toBe("succeeded");
    for (const name of ["echo401", "echo500", "midstream", "badjson"]) {
      expect(byName[name].status, name).toBe("failed");
      const run = await db.run.findUniqueOrThrow({ where: { uuid: byName[name].uuid }, select: { errorMessage: true } });
      // The provider's words are kept; the key in them is not.
      expect(run.errorMessage, name).toContain("***");
      expectNoSecret(`error of ${name}`, run.errorMessage ?? "");
    }
  });

  it("no API answer about the workspace or its runs carries a secret", async () => {
    const auth = { authorization: `Bearer ${t.adminKey}` };
    const seen: Answer[] = [];
    const get = async (p: string, headers: Record<string, string> = auth) => {
      const a = await call(`${server.url}${p}`, { headers, streamMs: 2000 });
      expect(a.status, `${p}: ${a.text.slice(0, 200)}`).toBeLessThan(300);
      expectNoSecret(p, a.text);
      seen.push(a);
      return a;
    };
    await get("/api/v1/workspace");
    await get("/api/v1/workspace/signing-secret");
    await get("/api/v1/api-keys");
    await get("/api/v1/openapi.json", {});
    const list = await get("/api/v1/runs?limit=100");
    expect(list.json.data.length).toBeGreaterThanOrEqual(runs.length);
    for (const w of (await get("/api/v1/workflows")).json.data) {
      await get(`/api/v1/workflows/${w.id}`);
      await get(`/api/v1/workflows/${w.id}/labels`);
      for (const v of (await get(`/api/v1/workflows/${w.id}/versions`)).json.data) await get(`/api/v1/workflows/${w.id}/versions/${v.version ?? v.number}`);
    }
    for (const r of list.json.data) {
      const run = runs.find((x) => x.uuid === r.id);
      await get(`/api/v1/runs/${r.id}?return_all_outputs=true`);
      await get(`/api/v1/runs/${r.id}/events`);
      // The compatibility APIs' views of the same run.
      await get(`/v1/workflows/executions/${r.id}/status`, { "x-api-key": t.adminKey });
      await get(`/api/v1/jobs/${r.id}`, { "unstructured-api-key": t.adminKey });
      if (run) {
        await get(`/api/v1/workflows/executions/${run.id}`, { "x-api-key": t.adminKey });
        await get(`/workflow-version-execution-results?workflow_version_execution_id=${run.id}&return_all_outputs=true`, { "x-api-key": t.adminKey });
      }
      if (r.workflow.name === "ask-llm") await get(`/v1/workflows/run/${r.id}`, { authorization: `Bearer ${boundKey}` });
    }
    // The streams really carried the runs' text (so the check above read something).
    expect(seen.some((a) => a.text.includes("text_chunk"))).toBe(true);
    expect(seen.some((a) => a.text.includes("***"))).toBe(true);
  }, 45_000);

  it("no page of the console, and no share page or stream, carries a secret", async () => {
    const pages = new Set<string>();
    const visit = async (p: string, headers: Record<string, string> = { cookie }) => {
      const a = await call(`${server.url}${p}`, { headers, streamMs: 2000 });
      // A page may send the viewer on (the home page to the workspace): that answer is checked too.
      expect(a.status, `${p}: ${a.status} ${a.text.slice(0, 200)}`).toBeLessThan(400);
      expectNoSecret(p, a.text);
      pages.add(p);
      return a;
    };
    const w = t.slug;
    await visit("/");
    await visit("/docs/api");
    await visit("/workspaces/new");
    await visit(`/w/${w}/runs`);
    for (const r of runs) await visit(`/w/${w}/runs/${r.uuid}`);
    await visit(`/w/${w}/workflows/ask-llm`);
    await visit(`/w/${w}/workflows/ask-llm/versions`);
    await visit(`/w/${w}/workflows/ask-llm/edit`);
    await visit(`/w/${w}/workflows/ask-llm/compare`);
    await visit(`/w/${w}/workflows`);
    await visit(`/w/${w}/workflows/new`);
    const secretsPage = await visit(`/w/${w}/settings/secrets`);
    expect(secretsPage.text).toContain("echo401"); // names are listed
    for (const s of ["api-keys", "members", "share-links"]) await visit(`/w/${w}/settings/${s}`);
    await visit(`/invite/${t.invitation.token}`);
    await visit("/login", {});
    for (const token of shareTokens) {
      await visit(`/share/${token}`, {});
      await visit(`/api/share/${token}/events`, {});
    }
    // Every page file of the app was visited at least once (a new page must be added here).
    const pageFiles: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name));
        else if (e.name === "page.tsx") pageFiles.push(path.relative(path.join(ROOT, "app"), dir).split(path.sep).join("/"));
      }
    };
    walk(path.join(ROOT, "app"));
    const patterns = [...pages].map((p) => p.split("?")[0]);
    for (const file of pageFiles) {
      const re = file === "" ? /^\/$/ : new RegExp(`^/${file.replace(/\[[^\]]+\]/g, "[^/]+")}$`);
      expect(patterns.some((p) => re.test(p)), `page app/${file}/page.tsx was not visited`).toBe(true);
    }
  }, 45_000);

  it("the secrets actions answer names and dates, never values", async () => {
    const actions = (await serverActionModules()).find((m) => m.module === "secrets")!.actions as Record<string, (i: unknown) => Promise<any>>;
    const saved = await asSignedIn(t.owner.userId!, () => actions.saveSecretAction({ workspace: t.slug, name: "by_action", value: SAVED_BY_ACTION }));
    expect(saved.value).toEqual({ ok: true, data: { name: "by_action", updatedAt: expect.any(String) } });
    const provider2 = await asSignedIn(t.owner.userId!, () => actions.saveLlmProviderAction({
      workspace: t.slug, name: "llm2", base_url: "https://llm.example.com/v1", api_key: KEYS.ok, model: "",
    }));
    expect(provider2.value).toEqual({ ok: true, data: { name: "llm2", updatedAt: expect.any(String) } });
    // A refused save does not quote the value back either.
    const refused = await asSignedIn(t.owner.userId!, () => actions.saveLlmProviderAction({
      workspace: t.slug, name: "llm3", base_url: `not a url ${KEYS.ok}`, api_key: KEYS.ok, model: "",
    }));
    expect(refused.value.ok).toBe(false);
    expectNoSecret("refused save", JSON.stringify(refused.value));
  });

  it("callback bodies carry no secret, and no table holds one in clear", async () => {
    // Each run posted its result to the receiver (the signed body a third party gets).
    const deadline = Date.now() + 10_000;
    while (receiver.requests.length < runs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.requests.length).toBeGreaterThanOrEqual(runs.length);
    for (const req of receiver.requests) expectNoSecret("callback body", req.body);
    expect(receiver.requests.some((r) => r.body.includes("***"))).toBe(true);

    const scan = await findInDatabase(needles());
    expect(scan.hits).toEqual([]);
    expect(scan.rows).toBeGreaterThan(50);
    // The scan does read the secrets' rows: it finds what is stored there (the sealed value).
    const sealed = (await db.secret.findFirstOrThrow({ where: { workspaceId: t.owner.workspaceId, name: "plain" } })).ciphertext;
    expect((await findInDatabase([sealed])).hits.some((h) => h.table.includes('"Secret"'))).toBe(true);
    // The values are there, sealed: each secret row decrypts back (read by the executor only).
    expect(await db.secret.count({ where: { workspaceId: t.owner.workspaceId } })).toBeGreaterThanOrEqual(7);
  });
});
