/**
 * Upgrades no compatibility handler takes are refused with a 404 at once (found by
 * lib/api/fuzz.test.ts: in production Next.js's upgrade handler does nothing, so a WebSocket
 * to any other path than PromptLayer's stayed open forever).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { handleCompatUpgrade, refuseUpgrade } from "./upgrades";

let server: http.Server;
let origin: string;

beforeAll(async () => {
  // Wired as scripts/server.ts wires it in production.
  server = http.createServer((_req, res) => res.end("ok"));
  server.on("upgrade", (req, socket, head) => {
    if (!handleCompatUpgrade(req, socket, head)) refuseUpgrade(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => {
  server.closeAllConnections();
  server.close(() => r());
}));

/** How a WebSocket attempt ends: opened, or refused with an HTTP status (or an error). */
function attempt(path: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${origin}${path}`);
    const timer = setTimeout(() => resolve("hung"), 3_000);
    const done = (what: string) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      resolve(what);
    };
    ws.on("open", () => done("open"));
    ws.on("unexpected-response", (_req, res) => done(`refused ${res.statusCode}`));
    ws.on("error", (e) => done(`error ${e.message}`));
  });
}

describe("WebSocket upgrades", () => {
  it("PromptLayer's path upgrades; any other path is refused with a 404 at once", async () => {
    expect(await attempt("/connection/websocket")).toBe("open");
    expect(await attempt("/connection/websocket?format=json")).toBe("open");
    for (const path of ["/connection/ws", "/connection/websocket/", "/api/v1/runs", "/_next/webpack-hmr"]) {
      expect(await attempt(path), path).toBe("refused 404");
    }
  });
});
