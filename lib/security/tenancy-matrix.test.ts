/**
 * Tenancy matrix over real HTTP (the production server on this file's database): two
 * workspaces, each with one of everything; for EVERY route file and method under app/, each
 * workspace aims the other's ids (every form a route takes: integer id, UUID, upper-case UUID,
 * name) with its own admin credentials. Every answer must be the route's own 404 — never a 403
 * or a 200 — and the victim's rows must be exactly as before. In the first direction each 404
 * is also compared with the answer for an id that never existed (the same bytes, ids masked),
 * and the same request with the attacker's own ids must succeed, so each 404 is a refusal and
 * not a broken request.
 *
 * The matrix is keyed by "METHOD /pattern" and must equal the list read from app/**\/route.ts:
 * a new route or method without a row fails here.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { TestServer } from "../api/test-server";
import { testServerUnavailable } from "../api/test-server";
import { decryptSecret } from "./secret-box";
import { call, signIn, startSecurityServer, type Answer, type CallInit } from "./http-kit";
import { routeKeys } from "./route-inventory";
import { createTenant, PASSWORD, snapshotWorkspace, type Tenant } from "./tenants";

const skip = testServerUnavailable();

type Product = "flowdeck" | "dify" | "vellum" | "fastapi" | "promptlayer";

/** The ids a request can carry; a victim's, the attacker's own, or ones that never existed. */
interface Ids {
  slug: string;
  flowId: number; flowUuid: string; flowName: string;
  readerId: number; readerUuid: string; readerName: string;
  runId: number; runUuid: string;
  /** A run of `reader` (what a key bound to reader may see). */
  readerRunId: number; readerRunUuid: string;
  /** A run that can still be cancelled (the victim's slow run; for own ids a finished run). */
  liveUuid: string;
  fileId: string;
  keyId: number;
  shareId: number;
}

interface Cred {
  key: string;
  boundKey: string;
  /** The attacker's own file-taking workflow (to hand it the other workspace's file). */
  ownReader: string;
}

interface Probe {
  label: string;
  path: string;
  init?: CallInit;
  /** What the victim's ids must get (default: the product's 404). */
  expect?: (a: Answer) => void;
  /** Skip the own-ids control (a request whose success has no meaning with own ids). */
  noControl?: boolean;
}

/** A route's row: requests aimed at foreign ids, or a check that it only ever touches the caller's own workspace. */
type Row =
  | { kind: "foreign"; product: Product; probes: (ids: Ids, cred: Cred) => Probe[] }
  | { kind: "own"; why: string; check: (ctx: Ctx) => Promise<void> }
  | { kind: "public"; why: string; check?: (ctx: Ctx) => Promise<void> };

interface Ctx {
  base: string;
  attacker: Tenant;
  victim: Tenant;
}

const headersFor: Record<Product, (key: string) => Record<string, string>> = {
  flowdeck: (key) => ({ authorization: `Bearer ${key}` }),
  dify: (key) => ({ authorization: `Bearer ${key}` }),
  vellum: (key) => ({ "x-api-key": key }),
  fastapi: (key) => ({ "x-api-key": key }),
  promptlayer: (key) => ({ "x-api-key": key }),
};

/** Each product's 404 body, as its clients expect it. */
const notFound: Record<Product, (a: Answer) => void> = {
  flowdeck: (a) => expect([a.status, a.json?.code]).toEqual([404, "not_found"]),
  dify: (a) => expect([a.status, a.json?.status, a.json?.code]).toEqual([404, 404, "not_found"]),
  vellum: (a) => expect([a.status, a.json?.code, typeof a.json?.detail]).toEqual([404, "not_found", "string"]),
  fastapi: (a) => expect([a.status, typeof a.json?.detail]).toEqual([404, "string"]),
  promptlayer: (a) => expect([a.status, a.json?.success, typeof a.json?.error]).toEqual([404, false, "string"]),
};

/** A file that is not the caller's is refused as unknown (a 4xx naming the input), like a missing one. */
const unknownFile = (status: number) => (a: Answer) => {
  expect(a.status).toBe(status);
  expect(a.text).toMatch(/Unknown file/);
};

const json = (method: string, body: unknown, headers: Record<string, string>): CallInit => ({ method, json: body, headers });
const uuidForms = (uuid: string) => [uuid, uuid.toUpperCase()];

// ─── The matrix ──────────────────────────────────────────────────────────────────────────────

const MATRIX: Record<string, Row> = {
  "GET /api/health": { kind: "public", why: "liveness only: answers {ok:true}, reads no data" },
  "GET /api/auth/[...nextauth]": {
    kind: "public",
    why: "Auth.js (csrf, session, providers): no workspace object is addressed; an API key is no session",
    check: async ({ base, attacker }) => {
      const session = await call(`${base}/api/auth/session`, { headers: headersFor.flowdeck(attacker.adminKey) });
      expect(session.status).toBe(200);
      expect(session.json?.user ?? null).toBeNull();
    },
  },
  "POST /api/auth/[...nextauth]": {
    kind: "public",
    why: "Auth.js sign-in/sign-out: takes credentials, addresses no workspace object (sign-in is covered in role-matrix)",
  },
  "GET /api/v1/openapi.json": {
    kind: "public",
    why: "the generated API document: public, the same for everyone",
    check: async ({ base, victim }) => {
      const doc = await call(`${base}/api/v1/openapi.json`);
      expect(doc.status).toBe(200);
      expect(doc.text).not.toContain(victim.flow.name);
    },
  },
  "GET /api/share/[token]/events": {
    kind: "foreign",
    product: "flowdeck",
    // The token is the permission (see share-tokens.test.ts); another workspace's ids are no token.
    probes: (ids) => [
      { label: "run UUID as token", path: `/api/share/${ids.runUuid}/events`, noControl: true },
      { label: "share link id as token", path: `/api/share/${String(ids.shareId).padStart(24, "0")}/events`, noControl: true },
    ],
  },

  // ── Flowdeck API: workflows ──
  "GET /api/v1/workflows": {
    kind: "own", why: "lists the caller's workspace only",
    check: async ({ base, attacker, victim }) => {
      const list = await call(`${base}/api/v1/workflows`, { headers: headersFor.flowdeck(attacker.adminKey) });
      expect(list.status).toBe(200);
      const uuids = list.json.data.map((w: { uuid: string }) => w.uuid);
      expect(uuids).toContain(attacker.flow.uuid);
      expect(uuids).not.toContain(victim.flow.uuid);
      expect(uuids).not.toContain(victim.common.uuid);
    },
  },
  "POST /api/v1/workflows": {
    kind: "own", why: "creates in the caller's workspace; a name taken only in another workspace is free here (no 409 that would reveal it)",
    check: async ({ base, attacker, victim }) => {
      const created = await call(`${base}/api/v1/workflows`, json("POST", {
        name: victim.slow.name, definition: { steps: [{ id: "s", kind: "template", config: { template: "mine" } }] },
      }, headersFor.flowdeck(attacker.adminKey)));
      expect(created.status).toBe(201);
      const row = await db.workflow.findFirstOrThrow({ where: { uuid: created.json.uuid } });
      expect(row.workspaceId).toBe(attacker.owner.workspaceId);
    },
  },
  "GET /api/v1/workflows/[workflow]": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => workflowRefs(ids).map((w) => ({ label: w, path: `/api/v1/workflows/${w}`, init: { headers: headersFor.flowdeck(c.key) } })),
  },
  "GET /api/v1/workflows/[workflow]/versions": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => workflowRefs(ids).map((w) => ({ label: w, path: `/api/v1/workflows/${w}/versions`, init: { headers: headersFor.flowdeck(c.key) } })),
  },
  "POST /api/v1/workflows/[workflow]/versions": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => workflowRefs(ids).map((w) => ({
      label: w, path: `/api/v1/workflows/${w}/versions`,
      init: json("POST", { definition: { steps: [{ id: "x", kind: "template", config: { template: "pwned" } }] }, labels: ["production"] }, headersFor.flowdeck(c.key)),
    })),
  },
  "GET /api/v1/workflows/[workflow]/versions/[version]": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => workflowRefs(ids).map((w) => ({ label: w, path: `/api/v1/workflows/${w}/versions/1`, init: { headers: headersFor.flowdeck(c.key) } })),
  },
  "GET /api/v1/workflows/[workflow]/labels": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => workflowRefs(ids).map((w) => ({ label: w, path: `/api/v1/workflows/${w}/labels`, init: { headers: headersFor.flowdeck(c.key) } })),
  },
  "PUT /api/v1/workflows/[workflow]/labels/[label]": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => workflowRefs(ids).flatMap((w) => ["production", "fresh"].map((label) => ({
      label: `${w} ${label}`, path: `/api/v1/workflows/${w}/labels/${label}`, init: json("PUT", { version: 1 }, headersFor.flowdeck(c.key)),
    }))),
  },
  "POST /api/v1/workflows/[workflow]/runs": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [
      ...workflowRefs(ids).map((w) => ({ label: w, path: `/api/v1/workflows/${w}/runs`, init: json("POST", { inputs: {} }, headersFor.flowdeck(c.key)) })),
      // The caller's own workflow, given the other workspace's file: unknown, like a missing one.
      { label: "own reader + foreign file", path: `/api/v1/workflows/${c.ownReader}/runs`, noControl: true, expect: unknownFile(422),
        init: json("POST", { inputs: { document: ids.fileId } }, headersFor.flowdeck(c.key)) },
    ],
  },
  // Unstructured: POST /api/v1/workflows/{workflow_id}/run (a UUID).
  "POST /api/v1/workflows/[workflow]/run": {
    kind: "foreign", product: "fastapi",
    probes: (ids, c) => [{ label: ids.readerUuid, path: `/api/v1/workflows/${ids.readerUuid}/run`, init: { method: "POST", headers: { "unstructured-api-key": c.key } } }],
  },

  // ── Flowdeck API: runs ──
  "GET /api/v1/runs": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [
      ...workflowRefs(ids).map((w) => ({ label: `?workflow=${w}`, path: `/api/v1/runs?workflow=${encodeURIComponent(w)}`, init: { headers: headersFor.flowdeck(c.key) } })),
      // Text search for another workspace's run finds nothing (the same empty page as for a made-up id).
      ...[ids.runUuid, ids.flowName].map((q) => ({
        label: `?q=${q}`, path: `/api/v1/runs?q=${encodeURIComponent(q)}`, init: { headers: headersFor.flowdeck(c.key) }, noControl: true,
        expect: (a: Answer) => expect([a.status, a.json?.data]).toEqual([200, []]),
      })),
    ],
  },
  "GET /api/v1/runs/[run]": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => uuidForms(ids.runUuid).map((r) => ({ label: r, path: `/api/v1/runs/${r}`, init: { headers: headersFor.flowdeck(c.key) }, noControl: r !== ids.runUuid }))
      .concat([{ label: "integer id", path: `/api/v1/runs/${ids.runId}`, init: { headers: headersFor.flowdeck(c.key) }, noControl: true }]),
  },
  "GET /api/v1/runs/[run]/events": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [{ label: ids.runUuid, path: `/api/v1/runs/${ids.runUuid}/events`, init: { headers: headersFor.flowdeck(c.key) } }],
  },
  "POST /api/v1/runs/[run]/cancel": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [{ label: ids.liveUuid, path: `/api/v1/runs/${ids.liveUuid}/cancel`, init: { method: "POST", headers: headersFor.flowdeck(c.key) } }],
  },
  "POST /api/v1/runs/[run]/rerun": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [{ label: ids.runUuid, path: `/api/v1/runs/${ids.runUuid}/rerun`, init: json("POST", {}, headersFor.flowdeck(c.key)) }],
  },

  // ── Flowdeck API: files, keys, workspace ──
  "POST /api/v1/files": {
    kind: "own", why: "stores the upload in the caller's workspace",
    check: async ({ base, attacker }) => {
      const form = new FormData();
      form.append("file", new Blob(["mine"], { type: "text/plain" }), "mine.txt");
      const up = await call(`${base}/api/v1/files`, { method: "POST", body: form, headers: headersFor.flowdeck(attacker.adminKey) });
      expect(up.status).toBe(201);
      expect((await db.file.findUniqueOrThrow({ where: { id: up.json.id } })).workspaceId).toBe(attacker.owner.workspaceId);
    },
  },
  "GET /api/v1/files/[file]": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [{ label: ids.fileId, path: `/api/v1/files/${ids.fileId}`, init: { headers: headersFor.flowdeck(c.key) } }],
  },
  "GET /api/v1/api-keys": {
    kind: "own", why: "lists the caller's workspace's keys only",
    check: async ({ base, attacker, victim }) => {
      const list = await call(`${base}/api/v1/api-keys`, { headers: headersFor.flowdeck(attacker.adminKey) });
      expect(list.status).toBe(200);
      const ids = list.json.data.map((k: { id: number }) => k.id);
      expect(ids).toContain(attacker.adminKeyId);
      expect(ids).not.toContain(victim.adminKeyId);
    },
  },
  "POST /api/v1/api-keys": {
    kind: "foreign", product: "flowdeck",
    // A key bound to another workspace's workflow.
    probes: (ids, c) => workflowRefs(ids).map((w) => ({
      label: `bound to ${w}`, path: "/api/v1/api-keys", init: json("POST", { name: "sneaky", workflow: w }, headersFor.flowdeck(c.key)),
    })),
  },
  "DELETE /api/v1/api-keys/[key]": {
    kind: "foreign", product: "flowdeck",
    probes: (ids, c) => [{ label: String(ids.keyId), path: `/api/v1/api-keys/${ids.keyId}`, init: { method: "DELETE", headers: headersFor.flowdeck(c.key) } }],
  },
  "GET /api/v1/workspace": {
    kind: "own", why: "answers the caller's workspace (a ?workspace= of another is ignored for a key)",
    check: async ({ base, attacker, victim }) => {
      const ws = await call(`${base}/api/v1/workspace?workspace=${victim.slug}`, { headers: headersFor.flowdeck(attacker.adminKey) });
      expect([ws.status, ws.json?.slug]).toEqual([200, attacker.slug]);
    },
  },
  "GET /api/v1/workspace/signing-secret": {
    kind: "own", why: "answers the caller's workspace's signing secret only",
    check: async ({ base, attacker, victim }) => {
      const res = await call(`${base}/api/v1/workspace/signing-secret?workspace=${victim.slug}`, { headers: headersFor.flowdeck(attacker.adminKey) });
      expect(res.status).toBe(200);
      const [mine, theirs] = await Promise.all([attacker, victim].map(async (t) =>
        decryptSecret((await db.workspace.findUniqueOrThrow({ where: { id: t.owner.workspaceId } })).signingSecret)));
      expect(res.json.secret).toBe(mine);
      expect(res.json.secret).not.toBe(theirs);
    },
  },

  // ── Unstructured: jobs are runs (UUID) ──
  "GET /api/v1/jobs/[job_id]": {
    kind: "foreign", product: "fastapi",
    probes: (ids, c) => [{ label: ids.runUuid, path: `/api/v1/jobs/${ids.runUuid}`, init: { headers: { "unstructured-api-key": c.key } } }],
  },
  "POST /api/v1/jobs/[job_id]/cancel": {
    kind: "foreign", product: "fastapi",
    probes: (ids, c) => [{ label: ids.liveUuid, path: `/api/v1/jobs/${ids.liveUuid}/cancel`, init: { method: "POST", headers: { "unstructured-api-key": c.key } } }],
  },

  // ── Datalab: integer ids ──
  "GET /api/v1/workflows/executions/[execution_id]": {
    kind: "foreign", product: "fastapi",
    probes: (ids, c) => [{ label: String(ids.runId), path: `/api/v1/workflows/executions/${ids.runId}`, init: { headers: headersFor.fastapi(c.key) } }],
  },
  "POST /api/v1/workflows/workflows/[workflow_id]/execute": {
    kind: "foreign", product: "fastapi",
    probes: (ids, c) => [{ label: String(ids.readerId), path: `/api/v1/workflows/workflows/${ids.readerId}/execute`, init: json("POST", {}, headersFor.fastapi(c.key)) }],
  },

  // ── Vellum: deployment by UUID or name; executions by UUID ──
  ...Object.fromEntries(["/v1/execute-workflow", "/v1/execute-workflow-async", "/v1/execute-workflow-stream"].map((path) => [`POST ${path}`, {
    kind: "foreign", product: "vellum",
    probes: (ids: Ids, c: Cred) => [
      { label: "workflow_deployment_id", path, init: json("POST", { inputs: [], workflow_deployment_id: ids.flowUuid }, headersFor.vellum(c.key)) },
      { label: "workflow_deployment_name", path, init: json("POST", { inputs: [], workflow_deployment_name: ids.flowName }, headersFor.vellum(c.key)) },
      { label: "own reader + foreign file", path, noControl: true, expect: unknownFile(400),
        init: json("POST", { workflow_deployment_name: c.ownReader, inputs: [{ name: "document", type: "DOCUMENT", value: { src: `vellum:uploaded-file:${ids.fileId}` } }] }, headersFor.vellum(c.key)) },
    ],
  } satisfies Row])),
  "GET /v1/workflows/executions/[id]/status": {
    kind: "foreign", product: "vellum",
    probes: (ids, c) => uuidForms(ids.runUuid).map((r) => ({ label: r, path: `/v1/workflows/executions/${r}/status`, init: { headers: headersFor.vellum(c.key) } })),
  },

  // ── Dify: the key picks the app (bound key); task and run ids are run UUIDs ──
  "POST /v1/workflows/run": {
    kind: "foreign", product: "dify",
    probes: (ids, c) => [{
      label: "bound workflow + foreign upload_file_id", path: "/v1/workflows/run", noControl: true, expect: unknownFile(400),
      init: json("POST", { inputs: { document: { type: "document", transfer_method: "local_file", upload_file_id: ids.fileId } }, user: "u", response_mode: "blocking" }, headersFor.dify(c.boundKey)),
    }],
  },
  "GET /v1/workflows/run/[id]": {
    kind: "foreign", product: "dify",
    probes: (ids, c) => uuidForms(ids.readerRunUuid).map((r) => ({ label: r, path: `/v1/workflows/run/${r}`, init: { headers: headersFor.dify(c.boundKey) } })),
  },
  "POST /v1/workflows/tasks/[task_id]/stop": {
    kind: "foreign", product: "dify",
    probes: (ids, c) => [{ label: ids.liveUuid, path: `/v1/workflows/tasks/${ids.liveUuid}/stop`, init: json("POST", { user: "u" }, headersFor.dify(c.boundKey)) }],
  },
  "POST /v1/files/upload": {
    kind: "own", why: "stores the upload in the caller's workspace",
    check: async ({ base, attacker }) => {
      const form = new FormData();
      form.append("file", new Blob(["mine"], { type: "text/plain" }), "mine.txt");
      form.append("user", "u");
      const up = await call(`${base}/v1/files/upload`, { method: "POST", body: form, headers: headersFor.dify(attacker.boundKey) });
      expect(up.status).toBe(201);
      expect((await db.file.findUniqueOrThrow({ where: { id: up.json.id } })).workspaceId).toBe(attacker.owner.workspaceId);
    },
  },

  // ── PromptLayer: workflows by name; executions by integer id ──
  "POST /workflows/[workflow_name]/run": {
    kind: "foreign", product: "promptlayer",
    probes: (ids, c) => [{ label: ids.flowName, path: `/workflows/${ids.flowName}/run`, init: json("POST", { input_variables: {} }, headersFor.promptlayer(c.key)) }],
  },
  "GET /workflow-version-execution-results": {
    kind: "foreign", product: "promptlayer",
    probes: (ids, c) => [{
      label: String(ids.runId), path: `/workflow-version-execution-results?workflow_version_execution_id=${ids.runId}`,
      init: { headers: headersFor.promptlayer(c.key) },
    }],
  },
  "POST /ws-token-request-library": {
    kind: "foreign", product: "promptlayer",
    probes: (ids, c) => [{ label: String(ids.runId), path: `/ws-token-request-library?capability=workflow_updates:${ids.runId}`, init: { method: "POST", headers: headersFor.promptlayer(c.key) } }],
  },
};

function workflowRefs(ids: Ids): string[] {
  return [String(ids.flowId), ids.flowUuid, ids.flowUuid.toUpperCase(), ids.flowName];
}

// ─── Fixtures ────────────────────────────────────────────────────────────────────────────────

let server: TestServer;
let a: Tenant;
let b: Tenant;
/** Each tenant's slow run, started over HTTP so the server executes it; cancelled at the end. */
const live = new Map<string, string>();

function victimIds(t: Tenant): Ids {
  return {
    slug: t.slug, flowId: t.flow.id, flowUuid: t.flow.uuid, flowName: t.flow.name,
    readerId: t.reader.id, readerUuid: t.reader.uuid, readerName: t.reader.name,
    runId: t.run.id, runUuid: t.run.uuid, readerRunId: t.readerRun.id, readerRunUuid: t.readerRun.uuid,
    liveUuid: live.get(t.slug)!, fileId: t.file.id, keyId: t.adminKeyId, shareId: t.share.id,
  };
}

/** The attacker's own objects in the same places (controls: these must not be 404). */
function ownIds(t: Tenant): Ids {
  // Cancelling a finished run answers "not changed": the control proves the route works without stopping anything.
  return { ...victimIds(t), liveUuid: t.readerRun.uuid, keyId: t.spareKeyId };
}

/** Ids that never existed, shaped like the victim's. */
function ghostIds(t: Tenant): Ids {
  return {
    ...victimIds(t),
    flowId: 987_001, flowUuid: randomUUID(), flowName: "ghost-flow", readerId: 987_002, readerUuid: randomUUID(), readerName: "ghost-reader",
    runId: 987_003, runUuid: randomUUID(), readerRunId: 987_004, readerRunUuid: randomUUID(), liveUuid: randomUUID(),
    fileId: randomUUID(), keyId: 987_005, shareId: 987_006,
  };
}

/** The answer's text with each id of `ids` replaced by its field name (so a victim's and a ghost's 404 compare). */
function masked(text: string, ids: Ids): string {
  let out = text;
  const values = Object.entries(ids).filter(([k]) => k !== "slug").sort((x, y) => String(y[1]).length - String(x[1]).length);
  for (const [k, v] of values) {
    for (const form of new Set([String(v), String(v).toUpperCase()])) {
      out = out.replace(new RegExp(`(?<![\\w-])${form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "g"), `<${k}>`);
    }
  }
  return out;
}

beforeAll(async () => {
  if (skip) return;
  await applyMigrations();
  [a, b] = [await createTenant("tenant-a"), await createTenant("tenant-b")];
  server = await startSecurityServer();
  for (const t of [a, b]) {
    const started = await call(`${server.url}/api/v1/workflows/${t.slow.name}/runs`, json("POST", { response_mode: "async" }, headersFor.flowdeck(t.adminKey)));
    expect(started.status, started.text).toBe(202);
    live.set(t.slug, started.json.id);
  }
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await shutdownSandboxPool();
});

// ─── Tests ───────────────────────────────────────────────────────────────────────────────────

describe.skipIf(skip)("tenancy matrix over HTTP", () => {
  it("has a row for every route file and method under app/, and none for routes that do not exist", () => {
    expect(Object.keys(MATRIX).sort()).toEqual(routeKeys().sort());
  });

  for (const [attackerName, victimName] of [["a", "b"], ["b", "a"]] as const) {
    it(`${attackerName} → ${victimName}: every route answers the other workspace's ids with the route's own 404, exactly as for unknown ids`, async () => {
      const attacker = attackerName === "a" ? a : b;
      const victim = victimName === "a" ? a : b;
      const before = await snapshotWorkspace(victim.owner.workspaceId);
      const victimEvents = await db.runEvent.count({ where: { runId: victim.run.id } });
      const cred: Cred = { key: attacker.adminKey, boundKey: attacker.boundKey, ownReader: attacker.reader.name };
      const ctx: Ctx = { base: server.url, attacker, victim };
      const ghostSet = ghostIds(victim);
      const victimSet = victimIds(victim);
      let probes = 0;
      let controls = 0;
      for (const [route, row] of Object.entries(MATRIX)) {
        if (row.kind !== "foreign") {
          await row.check?.(ctx);
          continue;
        }
        const theirs = row.probes(victimSet, cred);
        const ghosts = row.probes(ghostSet, cred);
        const mine = row.probes(ownIds(attacker), cred);
        expect(theirs.length, route).toBeGreaterThan(0);
        for (let i = 0; i < theirs.length; i++) {
          const what = `${route} [${theirs[i].label}]`;
          const answer = await call(`${server.url}${theirs[i].path}`, theirs[i].init);
          try {
            (theirs[i].expect ?? notFound[row.product])(answer);
          } catch (error) {
            throw new Error(`${what}: ${(error as Error).message}\n${answer.status} ${answer.text.slice(0, 400)}`);
          }
          probes++;
          // Both directions get the 404; the comparisons below (with made-up ids, with one's own
          // ids) are about the route, not the direction, so one direction makes them.
          if (attackerName !== "a") continue;
          // Indistinguishable from an id that never existed.
          const ghost = await call(`${server.url}${ghosts[i].path}`, ghosts[i].init);
          expect(`${ghost.status} ${masked(ghost.text, ghostSet)}`.replace(/<\w+>/g, "<id>"), what)
            .toBe(`${answer.status} ${masked(answer.text, victimSet)}`.replace(/<\w+>/g, "<id>"));
          // The same request with one's own ids works, so the 404 is a refusal, not a malformed request.
          if (theirs[i].noControl) continue;
          const control = await call(`${server.url}${mine[i].path}`, mine[i].init);
          expect(control.status, `${what} with own ids: ${control.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
          expect(control.status, `${what} with own ids: ${control.text.slice(0, 300)}`).toBeLessThan(300);
          controls++;
        }
      }
      // Nothing of the victim changed (its live run is still running, not asked to stop).
      const after = await snapshotWorkspace(victim.owner.workspaceId);
      const { events: _e1, steps: _s1, ...beforeRest } = before;
      const { events: _e2, steps: _s2, ...afterRest } = after;
      expect(afterRest).toEqual(beforeRest);
      expect(await db.runEvent.count({ where: { runId: victim.run.id } })).toBe(victimEvents);
      const liveRun = await db.run.findUniqueOrThrow({ where: { uuid: live.get(victim.slug)! } });
      expect([liveRun.status, liveRun.cancelRequestedAt], `${liveRun.errorCode}: ${liveRun.errorMessage}`).toEqual(["running", null]);
      // The victim's keys still work.
      const ws = await call(`${server.url}/api/v1/workspace`, { headers: headersFor.flowdeck(victim.adminKey) });
      expect([ws.status, ws.json?.slug]).toEqual([200, victim.slug]);
      console.log(`[tenancy] ${attackerName}→${victimName}: ${probes} foreign-id probes, ${attackerName === "a" ? probes : 0} made-up-id comparisons, ${controls} own-id controls`);
    }, 60_000);
  }

  it("a signed-in member of one workspace gets 404 for the other's slug on every session route", async () => {
    const cookie = await signIn(server.url, a.ownerEmail, PASSWORD);
    const ids = victimIds(b);
    // Every /api/v1 route that also takes a session (compatibility routes take keys only).
    const sessionRoutes = Object.entries(MATRIX).filter(([key, row]) =>
      row.kind !== "public" && key.split(" ")[1].startsWith("/api/v1/") &&
      !/\/jobs\/|\/executions\/|\/workflows\/workflows\/|\/\[workflow\]\/run$/.test(key));
    let n = 0;
    for (const [key] of sessionRoutes) {
      const [method, pattern] = key.split(" ");
      const path = pattern.replace("[workflow]", String(ids.flowId)).replace("[run]", ids.runUuid).replace("[file]", ids.fileId)
        .replace("[key]", String(ids.keyId)).replace("[version]", "1").replace("[label]", "production");
      for (const slug of [b.slug, "no-such-workspace"]) {
        const res = await call(`${server.url}${path}?workspace=${slug}`, { method, headers: { cookie, "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" });
        expect([res.status, res.json?.code, res.json?.message], `${key} ?workspace=${slug}`).toEqual([404, "not_found", "Workspace not found"]);
      }
      n++;
    }
    // The same cookie in its own workspace works (so the 404s are the slug, not the cookie).
    const own = await call(`${server.url}/api/v1/runs/${a.run.uuid}?workspace=${a.slug}`, { headers: { cookie } });
    expect([own.status, own.json?.id]).toEqual([200, a.run.uuid]);
    expect(n).toBeGreaterThanOrEqual(15);
  }, 30_000);

  it("idempotency keys and external ids are per workspace: the same key in another workspace is a new run there", async () => {
    const body = { inputs: { name: "same" }, external_id: "shared-external-id" };
    const headers = (t: Tenant) => ({ ...headersFor.flowdeck(t.adminKey), "idempotency-key": "shared-idempotency-key" });
    const theirs = await call(`${server.url}/api/v1/workflows/common/runs`, json("POST", body, headers(b)));
    expect(theirs.status, theirs.text).toBe(200);
    const mine = await call(`${server.url}/api/v1/workflows/common/runs`, json("POST", body, headers(a)));
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json.id).not.toBe(theirs.json.id);
    expect((await db.run.findUniqueOrThrow({ where: { uuid: mine.json.id } })).workspaceId).toBe(a.owner.workspaceId);
    expect(JSON.stringify(mine.json)).not.toContain(b.slug);
    // Vellum's external_id too.
    const vellumBody = { inputs: [], workflow_deployment_name: "common", external_id: "shared-vellum-id" };
    const v1 = await call(`${server.url}/v1/execute-workflow-async`, json("POST", vellumBody, headersFor.vellum(b.adminKey)));
    const v2 = await call(`${server.url}/v1/execute-workflow-async`, json("POST", vellumBody, headersFor.vellum(a.adminKey)));
    expect([v1.status, v2.status]).toEqual([200, 200]);
    expect(v2.json.execution_id).not.toBe(v1.json.execution_id);
  });

  it("PromptLayer's WebSocket: a token for one's own run cannot follow the other workspace's run", async () => {
    const token = await call(`${server.url}/ws-token-request-library?capability=workflow_updates:${a.run.id}`, { method: "POST", headers: headersFor.promptlayer(a.adminKey) });
    expect(token.status).toBe(200);
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/connection/websocket`);
    const replies: any[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on("open", () => {
        ws.send(JSON.stringify({ id: 1, connect: { token: token.json.token_details.token } }));
        ws.send(JSON.stringify({ id: 2, subscribe: { channel: `workflow_updates:${b.run.id}` } }));
        ws.send(JSON.stringify({ id: 3, subscribe: { channel: `workflow_updates:${a.run.id}` } }));
      });
      ws.on("message", (data) => {
        for (const line of data.toString().split("\n").filter(Boolean)) replies.push(JSON.parse(line));
        if (replies.some((r) => r.push)) resolve();
      });
      ws.on("error", reject);
      setTimeout(() => reject(new Error(`no publication: ${JSON.stringify(replies)}`)), 10_000);
    });
    ws.close();
    expect(replies.find((r) => r.id === 2)).toEqual({ id: 2, error: { code: 103, message: "permission denied" } });
    expect(replies.find((r) => r.id === 3)).toEqual({ id: 3, subscribe: {} });
    // Only its own run's result was published.
    expect(replies.filter((r) => r.push).map((r) => r.push.channel)).toEqual([`workflow_updates:${a.run.id}`]);
  }, 20_000);

  it("the slow runs end when their own workspace cancels them", async () => {
    for (const t of [a, b]) {
      const res = await call(`${server.url}/api/v1/runs/${live.get(t.slug)}/cancel`, { method: "POST", headers: headersFor.flowdeck(t.adminKey) });
      expect([res.status, res.json?.changed]).toEqual([202, true]);
    }
  });
});
