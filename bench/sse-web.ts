/**
 * A stand-in web process for bench/fanout.ts --web=sse (PostgreSQL only): answers
 * GET /api/v1/runs/{uuid}/events with the SSE response of the *current sources*
 * (lib/api/sse.ts → followRunEvents → the event bus) and writes it to the socket with
 * Next.js's own pipe (next/dist/server/pipe-readable.js, what the real server uses for a
 * route's Response). No routing, auth or build: it measures changes to the streaming path
 * before a `next build` picks them up. Runs are executed by worker processes.
 *
 * Prints "ready on http://127.0.0.1:<port>" once listening.
 */
import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { pipeToNodeResponse } = require("next/dist/server/pipe-readable.js") as {
  pipeToNodeResponse(readable: ReadableStream<Uint8Array>, res: http.ServerResponse): Promise<void>;
};
const { startEventBus } = await import("../lib/events/run-event-bus");
const { runEventStreamResponse, afterSeqFromRequest } = await import("../lib/api/sse");
const { db } = await import("../lib/db/client");
await startEventBus();

const server = http.createServer((req, res) => {
  void (async () => {
    const match = /^\/api\/v1\/runs\/([0-9a-f-]{36})\/events(?:\?|$)/.exec(req.url ?? "");
    const run = match ? await db.run.findUnique({ where: { uuid: match[1] }, select: { id: true } }) : null;
    if (!run) {
      res.writeHead(404).end();
      return;
    }
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const request = new Request(`http://127.0.0.1${req.url}`, {
      headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])),
      signal: gone.signal,
    });
    const response = runEventStreamResponse(request, run.id, { afterSeq: afterSeqFromRequest(request) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    await pipeToNodeResponse(response.body!, res);
  })().catch((err) => {
    console.error("[sse-web] failed:", err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`sse-web: ready on http://127.0.0.1:${port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
