/**
 * The world the fuzz runs in, made through the services before the server starts: two
 * workspaces (A is fuzzed, B is "another workspace" whose ids A's requests must not reach),
 * API keys of each kind, workflows with every input type, finished runs (succeeded, failed,
 * cancelled), stored files, share links, plus a local file server (URLs the server may fetch)
 * and a callback receiver, both on 127.0.0.1 and allow-listed for the server.
 */
import { db } from "../../db/client";
import { demoWorkflows } from "../../demo/workflows";
import { startTestServer as startLocalServer, type TestServer as LocalServer } from "../../net/test-server";
import type { Actor } from "../../schemas/workspace";
import { createApiKey, revokeApiKey } from "../../services/api-keys";
import { saveUploadedFile } from "../../services/files";
import { getRunDocument } from "../../services/run-documents";
import { cancelRun, startRunOnce } from "../../services/runs";
import { createShareLink } from "../../services/share-links";
import { createWorkflow, publishVersion } from "../../services/workflows";
import { createWorkspace } from "../../services/workspaces";

export interface WorkflowRef {
  id: number;
  uuid: string;
  name: string;
}

export interface RunRef {
  id: number;
  uuid: string;
}

export interface FuzzWorld {
  a: Actor;
  b: Actor;
  /** Keys of workspace A (admin is the fuzz's usual credential). */
  keys: { admin: string; member: string; boundGreet: string; boundDoc: string; revoked: string; otherWorkspace: string };
  /** Ids of keys the fuzz must keep usable (un-revoked after a case that revoked them). */
  protectedKeyIds: number[];
  /** The id of keys.admin (WebSocket tokens name the key they were issued to). */
  adminKeyId: number;
  /** Ids of keys the fuzz may revoke, and the other workspace's key id. */
  sacrificialKeyIds: number[];
  otherKeyId: number;
  workflows: Record<"greet" | "doc" | "docs" | "form" | "fail" | "nap", WorkflowRef>;
  otherWorkflows: WorkflowRef[];
  runs: RunRef[];
  otherRuns: RunRef[];
  files: string[];
  otherFiles: string[];
  shareTokens: { live: string; revoked: string; expired: string; other: string };
  fileServer: LocalServer;
  callbackReceiver: LocalServer;
}

/** The 127.0.0.1 servers every world shares: files to fetch by URL, and a callback receiver. */
export interface LocalServers {
  fileServer: LocalServer;
  callbackReceiver: LocalServer;
  /** FLOWDECK_FETCH_ALLOW for the server: the two local servers. */
  fetchAllow: string;
  close(): Promise<void>;
}

const greet = demoWorkflows.find((w) => w.name === "greet")!;
const formShowcase = demoWorkflows.find((w) => w.name === "form-showcase")!.versions[0];

export const definitions = {
  greetV1: greet.versions[0],
  greetV2: greet.versions[1],
  doc: {
    inputs: [{ name: "document", type: "file", accept: [".txt", ".csv", "text/plain", "text/csv"], max_size: 1_000_000 }],
    steps: [
      { id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } },
      { id: "title", kind: "template", config: { template: "{{ inputs.document.name }}: {{ steps.read.output.text }}" } },
    ],
    outputs: { title: "{{ steps.title.output }}" },
  },
  docs: {
    inputs: [{ name: "documents", type: "file_list", max_files: 3 }, { name: "note", type: "text", required: false }],
    steps: [{ id: "names", kind: "transform", config: { expression: "$count(inputs.documents)" } }],
    outputs: { count: "{{ steps.names.output }}" },
  },
  form: formShowcase,
  fail: {
    inputs: [{ name: "why", type: "text", default: "on purpose" }],
    steps: [{ id: "boom", kind: "code", config: { code: "throw new Error('failing ' + inputs.why);" } }],
    outputs: {},
  },
  nap: {
    inputs: [{ name: "ms", type: "number", default: 150, min: 0, max: 400 }],
    steps: [
      { id: "wait", kind: "delay", config: { ms: 150 } },
      { id: "done", kind: "template", needs: ["wait"], config: { template: "slept {{ inputs.ms }}" } },
    ],
    outputs: { done: "{{ steps.done.output }}" },
  },
};

const FINAL = ["succeeded", "failed", "cancelled"];

async function waitForRun(actor: Actor, uuid: string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const doc = await getRunDocument(actor, uuid);
    if (FINAL.includes(doc.status)) return;
    if (Date.now() > until) throw new Error(`fixture run ${uuid} did not finish (${doc.status})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function started(actor: Actor, req: Parameters<typeof startRunOnce>[1], wait = true): Promise<RunRef> {
  const { run } = await startRunOnce(actor, req);
  if (wait) await waitForRun(actor, run.uuid);
  return { id: run.id, uuid: run.uuid };
}

const ref = (w: { id: number; uuid: string; name: string }): WorkflowRef => ({ id: w.id, uuid: w.uuid, name: w.name });

export async function startLocalServers(): Promise<LocalServers> {
  const fileServer = await startLocalServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": type, ...headers });
      res.end(body);
    };
    fileServer.requests.splice(0); // keep no history
    if (path === "/hello.txt") return send(200, "text/plain", "hello from the fuzz file server\n");
    if (path === "/cities.csv") return send(200, "text/csv", "city,people\nLisbon,545000\nPorto,232000\n");
    if (path === "/page.html") return send(200, "text/html", "<h1>Hi</h1><p>there</p>");
    if (path === "/empty.txt") return send(200, "text/plain", "");
    if (path === "/big.txt") return send(200, "text/plain", Buffer.alloc(1_500_000, 0x61));
    if (path === "/binary.bin") return send(200, "application/octet-stream", Buffer.from([0, 1, 2, 0xff, 0xfe]));
    if (path === "/redirect-private") return send(302, "text/plain", "", { location: "http://10.255.255.1/secret" });
    if (path === "/redirect-loop") return send(302, "text/plain", "", { location: "/redirect-loop" });
    if (path === "/500") return send(500, "text/plain", "broken");
    return send(404, "text/plain", "no such file");
  });
  const callbackReceiver = await startLocalServer((_req, res) => {
    callbackReceiver.requests.splice(0);
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  const hostPort = (s: LocalServer) => `127.0.0.1:${s.port}`;
  return {
    fileServer,
    callbackReceiver,
    fetchAllow: `${hostPort(fileServer)},${hostPort(callbackReceiver)}`,
    close: async () => {
      await Promise.all([fileServer.close(), callbackReceiver.close()]);
    },
  };
}

/**
 * One world (the database migrated first): workspaces `fuzz-a-<lane>` and `fuzz-b-<lane>` and everything in them. Lanes of
 * the fuzz run side by side, each in its own world, so each can count its own rows.
 */
export async function buildFuzzWorld(lane: number, servers: LocalServers): Promise<FuzzWorld> {
  const { fileServer, callbackReceiver } = servers;
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: `fuzz-a-${lane}@example.test` } }),
    db.user.create({ data: { email: `fuzz-b-${lane}@example.test` } }),
  ]);
  const a = await createWorkspace(ua.id, { slug: `fuzz-a-${lane}`, name: `Fuzz A${lane}` });
  const b = await createWorkspace(ub.id, { slug: `fuzz-b-${lane}`, name: `Fuzz B${lane}` });

  const wfGreet = await createWorkflow(a, { name: "greet", definition: definitions.greetV1, labels: ["production"] });
  await publishVersion(a, "greet", definitions.greetV2, "v2", ["staging"]);
  const wfDoc = await createWorkflow(a, { name: "doc", definition: definitions.doc, labels: ["production"] });
  const wfDocs = await createWorkflow(a, { name: "docs", definition: definitions.docs });
  const wfForm = await createWorkflow(a, { name: "form", definition: definitions.form });
  const wfFail = await createWorkflow(a, { name: "fail", definition: definitions.fail });
  const wfNap = await createWorkflow(a, { name: "nap", definition: definitions.nap });
  const bGreet = await createWorkflow(b, { name: "greet", definition: definitions.greetV1, labels: ["production"] });
  const bDoc = await createWorkflow(b, { name: "b-doc", definition: definitions.doc });

  // Keys the fuzz may revoke first (low ids), then the ones it works with.
  const sacrificialKeyIds: number[] = [];
  for (let i = 0; i < 8; i++) sacrificialKeyIds.push((await createApiKey(a, { name: `sacrificial ${i}` })).id);
  const admin = await createApiKey(a, { name: "fuzz admin", role: "admin" });
  const member = await createApiKey(a, { name: "fuzz member", role: "member" });
  const boundGreet = await createApiKey(a, { name: "dify greet", role: "member", workflow: "greet", label: "production" });
  const boundDoc = await createApiKey(a, { name: "dify doc", role: "member", workflow: "doc" });
  const revoked = await createApiKey(a, { name: "revoked", role: "admin" });
  await revokeApiKey(a, revoked.id);
  const other = await createApiKey(b, { name: "other workspace", role: "admin" });

  const file = (actor: Actor, name: string, type: string, text: string) =>
    saveUploadedFile(actor, { name, type, bytes: new TextEncoder().encode(text) }).then((f) => f.id);
  const files = [
    await file(a, "hello.txt", "text/plain", "hello\nworld\n"),
    await file(a, "cities.csv", "text/csv", "city,people\nLisbon,545000\n"),
    await file(a, "blob.bin", "application/octet-stream", "\u0000\u0001binary"),
  ];
  const otherFiles = [await file(b, "secret.txt", "text/plain", "workspace B only")];

  const runs = [
    await started(a, { workflow: "greet", inputs: { name: "Ada" }, origin: "api" }),
    await started(a, { workflow: "greet", label: "staging", inputs: { name: "Bob", punctuation: "?" }, origin: "api", metadata: { user: "fuzzer" } }),
    await started(a, { workflow: "fail", origin: "api" }),
    await started(a, { workflow: "doc", inputs: { document: files[0] }, origin: "api" }),
  ];
  const napping = await started(a, { workflow: "nap", origin: "api" }, false);
  await cancelRun(a, napping.uuid);
  await waitForRun(a, napping.uuid);
  runs.push(napping);
  const otherRuns = [await started(b, { workflow: "greet", inputs: { name: "Eve" }, origin: "api" })];

  const live = await createShareLink(a, runs[0].uuid, { includeInputs: true });
  const revokedLink = await createShareLink(a, runs[1].uuid);
  await db.shareLink.update({ where: { id: revokedLink.id }, data: { revokedAt: new Date() } });
  const expiredLink = await createShareLink(a, runs[2].uuid);
  await db.shareLink.update({ where: { id: expiredLink.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
  const otherLink = await createShareLink(b, otherRuns[0].uuid);

  return {
    a, b,
    keys: {
      admin: admin.key, member: member.key, boundGreet: boundGreet.key, boundDoc: boundDoc.key, revoked: revoked.key,
      otherWorkspace: other.key,
    },
    protectedKeyIds: [admin.id, member.id, boundGreet.id, boundDoc.id],
    adminKeyId: admin.id,
    sacrificialKeyIds,
    otherKeyId: other.id,
    workflows: { greet: ref(wfGreet), doc: ref(wfDoc), docs: ref(wfDocs), form: ref(wfForm), fail: ref(wfFail), nap: ref(wfNap) },
    otherWorkflows: [ref(bGreet), ref(bDoc)],
    runs,
    otherRuns,
    files,
    otherFiles,
    shareTokens: { live: live.token, revoked: revokedLink.token, expired: expiredLink.token, other: otherLink.token },
    fileServer,
    callbackReceiver,
  };
}
