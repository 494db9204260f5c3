/**
 * A lightweight "web process" for bench/scale-events.ts when the Next.js build is not
 * current: a plain Node HTTP server that answers GET /runs/{id}/events with the same SSE
 * response the API route returns (lib/api/sse.ts → followRunEvents → the event bus), with
 * the cross-process bus started as instrumentation.ts starts it. No routing or auth.
 *
 * Run with DATABASE_URL=postgres://…; prints {"ready":true,"port":…} once listening.
 */
import http from "node:http";
import { Readable } from "node:stream";

const { startEventBus } = await import("../lib/events/run-event-bus");
const { runEventStreamResponse } = await import("../lib/api/sse");
await startEventBus();

const server = http.createServer((req, res) => {
  const match = /^\/runs\/(\d+)\/events(?:\?|$)/.exec(req.url ?? "");
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  const request = new Request(`http://127.0.0.1${req.url}`, {
    headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])),
    signal: gone.signal,
  });
  const response = runEventStreamResponse(request, Number(match[1]), { afterSeq: 0 });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  Readable.fromWeb(response.body as import("node:stream/web").ReadableStream).pipe(res);
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
