/**
 * Integration (real database, in-process executor, real local HTTP servers): the services
 * behind /api/v1 — idempotent starts under a race, re-runs from a step, list filters, API
 * keys, file inputs by URL, and signed callbacks retried with backoff.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Short retry delays for this file (read when the callbacks module loads).
vi.hoisted(() => {
  process.env.FLOWDECK_CALLBACK_BASE_DELAY_MS = "200";
});
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { startTestServer, type TestServer } from "../net/test-server";
import type { Actor } from "../schemas/workspace";
import { runSchema } from "../schemas/api-runs";
import { actorForApiKey } from "../auth/api-key";
import { createApiKey, listApiKeys, revokeApiKey, touchApiKey } from "./api-keys";
import { getSigningSecret, signCallbackBody, verifyCallbackSignature } from "./callbacks";
import { NotFoundError, ValidationError, ForbiddenError } from "./errors";
import { getRunDocument, getRunDocumentViaPrisma } from "./run-documents";
import { cancelRun, listRuns, rerunRun, startRunOnce } from "./runs";
import { createWorkflow } from "./workflows";
import { createWorkspace } from "./workspaces";

let a: Actor;
let b: Actor;
const FINAL = ["succeeded", "failed", "cancelled"];

async function waitForRun(actor: Actor, uuid: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRunDocument(actor, uuid, { stepOutputs: true });
    if (FINAL.includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${uuid} did not finish (status ${run.status})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A three-step chain whose steps say when they ran, so a test can tell reused outputs. */
const chain = {
  inputs: [{ name: "word", type: "text", default: "x" }],
  steps: [
    { id: "first", kind: "code", config: { code: "return { word: inputs.word, at: Date.now() + Math.random() };" } },
    { id: "second", kind: "code", config: { code: "return { seen: steps.first.output.word, at: Date.now() + Math.random() };" } },
    { id: "third", kind: "transform", config: { expression: "{ 'first': steps.first.output.at, 'second': steps.second.output.at }" } },
  ],
  outputs: { result: "{{ steps.third.output }}" },
};

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "api-a@example.test" } }),
    db.user.create({ data: { email: "api-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "api-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "api-b", name: "B" });
  for (const actor of [a, b]) await createWorkflow(actor, { name: "chain", definition: chain, labels: ["production"] });
  await createWorkflow(a, {
    name: "doc",
    definition: {
      inputs: [{ name: "document", type: "file", accept: [".txt", "text/plain"] }],
      steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } }],
      outputs: { text: "{{ steps.read.output.text }}" },
    },
  });
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("idempotent starts", () => {
  it("20 concurrent requests with one Idempotency-Key create exactly one run", async () => {
    const before = await db.run.count();
    const request = { workflow: "chain", inputs: { word: "once" }, origin: "api" as const, idempotencyKey: "race-1", requestHash: "h1" };
    const results = await Promise.all(Array.from({ length: 20 }, () => startRunOnce(a, request)));
    expect(new Set(results.map((r) => r.run.uuid)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await db.run.count()).toBe(before + 1);
    await waitForRun(a, results[0].run.uuid);
  });

  it("the same key with another request is a 422 and stores nothing; external_id behaves the same", async () => {
    const first = await startRunOnce(a, { workflow: "chain", origin: "api", idempotencyKey: "k-2", requestHash: "body-1" });
    const before = await db.run.count();
    const err = await startRunOnce(a, { workflow: "chain", origin: "api", idempotencyKey: "k-2", requestHash: "body-2" }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.detail[0].loc).toEqual(["header", "Idempotency-Key"]);

    const ext = await Promise.all(Array.from({ length: 8 }, () =>
      startRunOnce(a, { workflow: "chain", origin: "api", externalId: "order-7", requestHash: "e1" })));
    expect(new Set(ext.map((r) => r.run.uuid)).size).toBe(1);
    const clash = await startRunOnce(a, { workflow: "chain", origin: "api", externalId: "order-7", requestHash: "e2" }).catch((e) => e);
    expect(clash).toBeInstanceOf(ValidationError);
    expect(clash.detail[0].loc).toEqual(["body", "external_id"]);
    expect(await db.run.count()).toBe(before + 1);

    // Keys are per workspace: B may use the same key for its own run.
    const other = await startRunOnce(b, { workflow: "chain", origin: "api", idempotencyKey: "k-2", requestHash: "body-1" });
    expect(other.replayed).toBe(false);
    expect(other.run.uuid).not.toBe(first.run.uuid);
    await Promise.all([waitForRun(a, first.run.uuid), waitForRun(a, ext[0].run.uuid), waitForRun(b, other.run.uuid)]);
  });
});

describe("re-runs", () => {
  it("from a step: earlier outputs are reused, the step and its dependants run again, lineage recorded", async () => {
    const { run } = await startRunOnce(a, { workflow: "chain", label: "production", inputs: { word: "alpha" }, origin: "api" });
    const parent = await waitForRun(a, run.uuid);
    expect(parent.status).toBe("succeeded");

    const again = await rerunRun(a, run.uuid, { fromStep: "second", inputs: { word: "beta" } });
    const child = await waitForRun(a, again.run.uuid);
    expect(child.status).toBe("succeeded");
    expect(child.parent_run_id).toBe(run.uuid);
    expect(child.rerun_from_step).toBe("second");
    expect(child.origin).toBe("rerun");
    expect(child.version).toBe(parent.version);
    expect(child.inputs).toEqual({ word: "beta" });
    const p = parent.step_outputs as Record<string, { at: number; word?: string; seen?: string }>;
    const c = child.step_outputs as Record<string, { at: number; word?: string; seen?: string }>;
    expect(c.first).toEqual(p.first); // reused as it was (word alpha)
    expect(c.second.at).not.toBe(p.second.at); // ran again…
    expect(c.second.seen).toBe("alpha"); // …on the reused first step's output
    // Plain re-run: everything again with the original inputs.
    const plain = await waitForRun(a, (await rerunRun(a, run.uuid, {})).run.uuid);
    expect(plain.inputs).toEqual({ word: "alpha" });
    expect((plain.step_outputs as Record<string, { at: number }>).first.at).not.toBe(p.first.at);
    expect(runSchema.safeParse(plain).success).toBe(true);
  });

  it("documents a re-run the same way through either reader (parent, reused steps)", async () => {
    const rows = await db.run.findMany({ where: { workspaceId: a.workspaceId, parentRunId: { not: null } }, select: { id: true, uuid: true } });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const doc = await getRunDocument(a, row.uuid, { stepOutputs: true });
      expect(doc.parent_run_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(doc).toEqual(await getRunDocumentViaPrisma(row.id, { stepOutputs: true }));
    }
  });

  it("refuses an unknown step and foreign runs", async () => {
    const { run } = await startRunOnce(a, { workflow: "chain", origin: "api" });
    await waitForRun(a, run.uuid);
    await expect(rerunRun(a, run.uuid, { fromStep: "nope" })).rejects.toBeInstanceOf(ValidationError);
    await expect(rerunRun(b, run.uuid, {})).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("list filters", () => {
  it("filters by status, label, version, origin, time and text, within the workspace", async () => {
    const { run } = await startRunOnce(a, {
      workflow: "chain", label: "production", origin: "api", externalId: "find-me-42", metadata: { team: "blue" }, requestHash: "x",
    });
    await waitForRun(a, run.uuid);
    const byText = await listRuns(a, { q: "find-me" });
    expect(byText.runs.map((r) => r.uuid)).toEqual([run.uuid]);
    expect((await listRuns(a, { q: "blue" })).runs.map((r) => r.uuid)).toContain(run.uuid);
    expect((await listRuns(a, { q: run.uuid.slice(0, 8) })).runs.map((r) => r.uuid)).toContain(run.uuid);
    expect((await listRuns(b, { q: "find-me" })).runs).toEqual([]);
    const labelled = await listRuns(a, { label: "production", limit: 100 });
    expect(labelled.runs.every((r) => r.label === "production")).toBe(true);
    expect((await listRuns(a, { origin: "rerun", limit: 100 })).runs.every((r) => r.origin === "rerun")).toBe(true);
    expect((await listRuns(a, { versionNumber: 2 })).runs).toEqual([]);
    expect((await listRuns(a, { createdAfter: new Date(Date.now() + 60_000) })).runs).toEqual([]);
    const page1 = await listRuns(a, { limit: 2 });
    const page2 = await listRuns(a, { limit: 2, before: page1.nextCursor! });
    expect(page2.runs[0].id).toBeLessThan(page1.runs[1].id);
  });
});

describe("API keys", () => {
  it("are shown once, stored hashed, revocable, workspace-scoped, and admin-only to manage", async () => {
    const created = await createApiKey(a, { name: "CI", role: "member", workflow: "chain", label: "production" });
    expect(created.key).toMatch(/^fd_[\w-]{32}$/);
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(created.workflow?.name).toBe("chain");
    const actor = await actorForApiKey(created.key);
    expect(actor).toMatchObject({ workspaceId: a.workspaceId, role: "member", apiKeyId: created.id });
    await expect(createApiKey(actor!, { name: "nope" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revokeApiKey(b, created.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listApiKeys(b)).some((k) => k.id === created.id)).toBe(false);

    touchApiKey(created.id);
    await new Promise((r) => setTimeout(r, 50));
    const used = (await db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt;
    expect(used).not.toBeNull();
    touchApiKey(created.id); // within the minute: no second write
    await new Promise((r) => setTimeout(r, 50));
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).toEqual(used);

    await revokeApiKey(a, created.id);
    expect(await actorForApiKey(created.key)).toBeNull();
  });
});

describe("file inputs by URL", () => {
  let files: TestServer;
  beforeAll(async () => {
    files = await startTestServer((req, res) => {
      if (req.url === "/notes.txt") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("fetched words here");
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  afterAll(() => files.close());

  it("fetches an allowed URL and stores it like an upload; refuses private addresses and failures, storing nothing", async () => {
    const filesBefore = await db.file.count();
    const runsBefore = await db.run.count();
    // Not on the allowlist: a private address is refused before anything is sent.
    const blocked = await startRunOnce(a, { workflow: "doc", origin: "api", inputs: { document: { url: `${files.origin}/notes.txt` } } }).catch((e) => e);
    expect(blocked).toBeInstanceOf(ValidationError);
    expect(blocked.detail[0]).toMatchObject({ loc: ["inputs", "document"], type: "value_error.url" });
    expect(files.requests).toHaveLength(0);

    process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${files.port}`;
    try {
      const missing = await startRunOnce(a, { workflow: "doc", origin: "api", inputs: { document: `${files.origin}/gone.txt` } }).catch((e) => e);
      expect(missing).toBeInstanceOf(ValidationError);
      expect(missing.message).toMatch(/404/);
      expect(await db.file.count()).toBe(filesBefore);
      expect(await db.run.count()).toBe(runsBefore);

      const { run } = await startRunOnce(a, { workflow: "doc", origin: "api", inputs: { document: { url: `${files.origin}/notes.txt` } } });
      const done = await waitForRun(a, run.uuid);
      expect(done.status).toBe("succeeded");
      expect(done.outputs).toEqual({ text: "fetched words here" });
      expect(done.inputs.document).toMatchObject({ name: "notes.txt", mime_type: "text/plain", size: 18 });
      const stored = await db.file.findFirstOrThrow({ where: { id: (done.inputs.document as { id: string }).id } });
      expect(stored).toMatchObject({ source: "url", workspaceId: a.workspaceId });
    } finally {
      delete process.env.FLOWDECK_FETCH_ALLOW;
    }
  });
});

describe("callbacks", () => {
  it("signs with HMAC-SHA256 over `${t}.${body}` and verifies only the exact body, key and recent time", () => {
    const header = signCallbackBody("s3cret", '{"a":1}', 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    const now = 1_700_000_000_000;
    expect(verifyCallbackSignature("s3cret", '{"a":1}', header, 300, now)).toBe(true);
    expect(verifyCallbackSignature("s3cret", '{"a":2}', header, 300, now)).toBe(false);
    expect(verifyCallbackSignature("other", '{"a":1}', header, 300, now)).toBe(false);
    expect(verifyCallbackSignature("s3cret", '{"a":1}', header, 300, now + 600_000)).toBe(false);
  });

  it("delivers the run result, retrying failures with backoff, every attempt recorded on the run", async () => {
    let calls = 0;
    const arrivals: number[] = [];
    const receiver = await startTestServer((_req, res) => {
      calls += 1;
      arrivals.push(Date.now());
      res.writeHead(calls <= 2 ? 503 : 204);
      res.end();
    });
    process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${receiver.port}`;
    try {
      const { run } = await startRunOnce(a, { workflow: "chain", origin: "api", callbackUrl: `${receiver.origin}/hook`, inputs: { word: "cb" } });
      await waitForRun(a, run.uuid);
      // Attempt 1 at once, 2 after the base delay, 3 after twice that (the test env uses a short base).
      const until = Date.now() + 15_000;
      let doc = await getRunDocument(a, run.uuid);
      while (!doc.callback?.deliveries.some((d) => d.state === "delivered") && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        doc = await getRunDocument(a, run.uuid);
      }
      expect(doc.callback?.deliveries.map((d) => [d.attempt, d.state, d.status_code])).toEqual([
        [1, "failed", 503], [2, "failed", 503], [3, "delivered", 204],
      ]);
      const secret = await getSigningSecret(a);
      for (const seen of receiver.requests) {
        expect(verifyCallbackSignature(secret, seen.body, String(seen.headers["x-flowdeck-signature"]))).toBe(true);
        const payload = JSON.parse(seen.body);
        expect(payload).toMatchObject({ event: "run.finished", run: { id: run.uuid, status: "succeeded" } });
        expect(payload.run.step_outputs.first.word).toBe("cb");
      }
      // Backoff grows: attempt 2 came at least the base delay (200 ms) after attempt 1, attempt 3
      // at least twice that after attempt 2 (measured where they arrive; latency only adds).
      expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(190);
      expect(arrivals[2] - arrivals[1]).toBeGreaterThanOrEqual(390);
      // The document's two readers (direct SQL on either database, and Prisma) agree exactly.
      const id = (await db.run.findFirstOrThrow({ where: { uuid: run.uuid } })).id;
      for (const stepOutputs of [false, true]) {
        expect(await getRunDocument(a, run.uuid, { stepOutputs })).toEqual(await getRunDocumentViaPrisma(id, { stepOutputs }));
      }
    } finally {
      delete process.env.FLOWDECK_FETCH_ALLOW;
      await receiver.close();
    }
  });

  it("a cancelled run gets its callback too, exactly once", async () => {
    const receiver = await startTestServer((_req, res) => {
      res.writeHead(200);
      res.end();
    });
    process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${receiver.port}`;
    try {
      await createWorkflow(a, { name: "slow", definition: { steps: [{ id: "wait", kind: "delay", config: { ms: 5000 } }] } });
      const { run } = await startRunOnce(a, { workflow: "slow", origin: "api", callbackUrl: `${receiver.origin}/cb` });
      await new Promise((r) => setTimeout(r, 100));
      await cancelRun(a, run.uuid);
      expect((await waitForRun(a, run.uuid)).status).toBe("cancelled");
      const until = Date.now() + 5_000;
      while (receiver.requests.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.requests).toHaveLength(1);
      expect(JSON.parse(receiver.requests[0].body).run).toMatchObject({ id: run.uuid, status: "cancelled", error: { code: "cancelled" } });
    } finally {
      delete process.env.FLOWDECK_FETCH_ALLOW;
      await receiver.close();
    }
  });

  it("the signing secret is for admins only; foreign runs cannot be cancelled", async () => {
    await expect(getSigningSecret({ ...a, role: "member" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(cancelRun(b, "00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
  });
});
