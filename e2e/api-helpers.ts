/** Shared by the e2e/api-*.spec.ts files: keys, SSE parsing, a second workspace, a local receiver. */
import { expect, type APIRequestContext } from "@playwright/test";
import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { encryptSecret } from "../lib/security/secret-box";

export const KEY = process.env.FLOWDECK_DEMO_API_KEY ?? "fd_e2e_demo_key_0123456789";
export const auth = { authorization: `Bearer ${KEY}` };
export const BASE = `http://localhost:${process.env.E2E_PORT ?? 3100}`;
/** The port the e2e server may reach on 127.0.0.1 (FLOWDECK_FETCH_ALLOW in scripts/e2e-server.sh). */
export const RECEIVER_PORT = 3196;

export interface Frame {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

/** The `data:` frames of an SSE body (comments and retry lines skipped). */
export function parseSse(text: string): Frame[] {
  return text.split("\n\n").filter((f) => /^id: /m.test(f)).map((f) => JSON.parse(f.split("\ndata: ")[1]) as Frame);
}

/** Reads an SSE stream with fetch, calling onFrame per frame; stop() aborts the connection. */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  onFrame: (frame: Frame, stop: () => void) => void,
): Promise<{ status: number; headers: Headers }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (!res.body) return { status: res.status, headers: res.headers };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let stopped = false;
  const stop = () => {
    stopped = true;
    controller.abort();
  };
  try {
    while (!stopped) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while (!stopped && (cut = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = raw.split("\n").find((l) => l.startsWith("data: "));
        if (data && /^id: /m.test(raw)) onFrame(JSON.parse(data.slice(6)) as Frame, stop);
      }
    }
  } catch (error) {
    if (!stopped) throw error;
  }
  return { status: res.status, headers: res.headers };
}

/** Polls GET /runs/{id} until the run has ended. */
export async function waitForRun(request: APIRequestContext, id: string, headers = auth, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await request.get(`/api/v1/runs/${id}`, { headers });
    expect(res.status()).toBe(200);
    const run = await res.json();
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${id} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Creates another workspace with an admin key directly in the e2e server's database (no API
 * can create a workspace for a key), to play an attacker against the demo workspace.
 */
export function createOtherWorkspace(): { slug: string; key: string; headers: Record<string, string> } {
  process.env.FLOWDECK_SECRET_KEY ??= "e2e-secret-key-not-for-production";
  const slug = `other-${randomBytes(4).toString("hex")}`;
  const key = `fd_${randomBytes(24).toString("base64url")}`;
  const db = new Database(path.resolve("data/e2e/flowdeck.db"), { fileMustExist: true, timeout: 10_000 });
  try {
    const now = new Date().toISOString().replace("Z", "+00:00");
    const ws = db.prepare('INSERT INTO "Workspace" ("slug", "name", "signingSecret", "createdAt") VALUES (?, ?, ?, ?) RETURNING "id"')
      .get(slug, "Other team", encryptSecret(randomBytes(32).toString("base64url")), now) as { id: number };
    db.prepare('INSERT INTO "ApiKey" ("workspaceId", "name", "keyHash", "last4", "role", "createdAt") VALUES (?, ?, ?, ?, ?, ?)')
      .run(ws.id, "Other admin", createHash("sha256").update(key).digest("hex"), key.slice(-4), "admin", now);
  } finally {
    db.close();
  }
  return { slug, key, headers: { authorization: `Bearer ${key}` } };
}

export interface Receiver {
  url: string;
  requests: { headers: http.IncomingHttpHeaders; body: string; at: number }[];
  close(): Promise<void>;
}

/** A local HTTP server on RECEIVER_PORT; `respond` picks the status for the n-th request (1-based). */
export async function startReceiver(respond: (n: number, req: http.IncomingMessage) => { status: number; body?: string | Buffer; headers?: Record<string, string> }): Promise<Receiver> {
  const requests: Receiver["requests"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const answer = respond(requests.length, req);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(RECEIVER_PORT, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${RECEIVER_PORT}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
