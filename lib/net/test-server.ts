/**
 * A real local HTTP server for network tests: records every connection and request so a test
 * can prove that a blocked request never reached it.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` (or `http://[::1]:PORT`). */
  origin: string;
  port: number;
  host: string;
  /** TCP connections accepted so far. */
  connections: number;
  requests: SeenRequest[];
  /** Sockets that have closed so far. */
  closedSockets: number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** Starts a server on a random port of 127.0.0.1 (or the given host). */
export async function startTestServer(handler: Handler, host = "127.0.0.1"): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, closedSockets: 0, requests: [] as SeenRequest[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      state.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on("connection", (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => {
      state.closedSockets++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  return {
    origin: `http://${hostInUrl}:${port}`,
    port,
    host: hostInUrl,
    get connections() {
      return state.connections;
    },
    get closedSockets() {
      return state.closedSockets;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `check` is true (polled), or rejects after `ms`. */
export async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("Condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
