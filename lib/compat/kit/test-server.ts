/**
 * For tests: the compatibility endpoints served over real HTTP on 127.0.0.1 by a plain Node
 * server (no Next.js build), so official clients can be exercised from vitest. The running
 * production server is covered by e2e/compat-*.spec.ts; this is the fast inner loop.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { handleCompatUpgrade } from "../upgrades";
import { matchPath, type CompatEndpoint } from "./routes";

export interface CompatTestServer {
  url: string;
  close(): Promise<void>;
}

export async function startCompatTestServer(endpoints: CompatEndpoint[]): Promise<CompatTestServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
      let params: Record<string, string> | null = null;
      const endpoint = endpoints.find((e) => e.method === req.method && (params = matchPath(e.path, url.pathname)));
      if (!endpoint) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "no such route" }));
        return;
      }
      const abort = new AbortController();
      res.on("close", () => abort.abort());
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(url, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])) as [string, string][],
        body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
        duplex: "half",
        signal: abort.signal,
      } as RequestInit);
      const response = await endpoint.handler(request, { params: Promise.resolve(params ?? {}) });
      const headers: Record<string, string[]> = {};
      response.headers.forEach((value, name) => (headers[name] ??= []).push(value));
      res.writeHead(response.status, headers);
      if (!response.body) return void res.end();
      const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
      body.on("error", () => res.destroy());
      res.on("close", () => body.destroy());
      body.pipe(res);
    } catch (error) {
      console.error("[compat test server]", error);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req, socket, head) => {
    if (!handleCompatUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
