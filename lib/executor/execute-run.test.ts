/**
 * Integration: what the executor hands the engine — the guarded network, the workspace's
 * secrets — with runs started through the runs service on a real database, a real local
 * HTTP server and the local OpenAI-compatible server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_OPENAI_API_KEY, startFakeOpenAI, type FakeOpenAI } from "../../scripts/fake-openai";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { startTestServer, type TestServer } from "../net/test-server";
import type { Actor } from "../schemas/workspace";
import { getRunDetail, startRun } from "../services/runs";
import { setSecret } from "../services/secrets";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";

let actor: Actor;
let other: Actor;
let api: TestServer;
let llm: FakeOpenAI;

async function finished(uuid: string, as: Actor = actor) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDetail(as, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

beforeAll(async () => {
  await applyMigrations();
  const [u1, u2] = await Promise.all([db.user.create({ data: { email: "x1@example.test" } }), db.user.create({ data: { email: "x2@example.test" } })]);
  actor = await createWorkspace(u1.id, { slug: "exec-a", name: "A" });
  other = await createWorkspace(u2.id, { slug: "exec-b", name: "B" });
  api = await startTestServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url, answer: 42 }));
  });
  llm = await startFakeOpenAI();
  const definitions = {
    fetcher: {
      inputs: [{ name: "url", type: "text" }],
      steps: [{ id: "get", kind: "http", config: { url: "{{ inputs.url }}" } }],
      outputs: { answer: "{{ steps.get.output.body.answer }}" },
    },
    ask: {
      inputs: [],
      steps: [{ id: "ask", kind: "llm", config: { prompt: "tokens:40" } }],
      outputs: { text: "{{ steps.ask.output.text }}" },
    },
  };
  for (const a of [actor, other]) {
    for (const [name, definition] of Object.entries(definitions)) await createWorkflow(a, { name, definition });
  }
});

afterAll(async () => {
  delete process.env.FLOWDECK_FETCH_ALLOW;
  await Promise.all([api.close(), llm.close(), shutdownSandboxPool()]);
});

describe("executor ports", () => {
  it("refuses a private address by default and reaches it once FLOWDECK_FETCH_ALLOW lists it", async () => {
    const url = `${api.origin}/hello`;
    delete process.env.FLOWDECK_FETCH_ALLOW;
    const blocked = await finished((await startRun(actor, { workflow: "fetcher", inputs: { url }, origin: "api" })).uuid);
    expect(blocked.status).toBe("failed");
    expect(blocked.errorCode).toBe("blocked_address");
    expect(api.requests).toHaveLength(0);

    process.env.FLOWDECK_FETCH_ALLOW = new URL(api.origin).host;
    const ok = await finished((await startRun(actor, { workflow: "fetcher", inputs: { url }, origin: "api" })).uuid);
    expect(ok.status).toBe("succeeded");
    expect(ok.outputs).toEqual({ answer: 42 });
    expect(api.requests.map((r) => r.url)).toEqual(["/hello"]);
  });

  it("gives the llm step its own workspace's provider secret, streams text and counts tokens", async () => {
    process.env.FLOWDECK_FETCH_ALLOW = new URL(llm.url).host;
    await setSecret(actor, "llm", JSON.stringify({ base_url: llm.url, api_key: FAKE_OPENAI_API_KEY, model: "fake-gpt" }));
    const run = await finished((await startRun(actor, { workflow: "ask", origin: "api" })).uuid);
    expect(run.status).toBe("succeeded");
    expect(String((run.outputs as { text: string }).text).split(" ")).toHaveLength(40);
    expect(run.totalTokens).toBeGreaterThan(40);
    const chunks = await db.runEvent.count({ where: { runId: run.id, type: "text_chunk" } });
    expect(chunks).toBeGreaterThan(10);

    // The other workspace has no provider: its run fails with instructions, and never sees A's secret.
    const theirs = await finished((await startRun(other, { workflow: "ask", origin: "api" })).uuid, other);
    expect(theirs.status).toBe("failed");
    expect(theirs.errorCode).toBe("llm_not_configured");
    expect(theirs.errorMessage).toMatch(/add a workspace secret named "llm"/);
  });
});
