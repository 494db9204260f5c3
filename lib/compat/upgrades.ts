/**
 * WebSocket upgrades the compatibility APIs answer (PromptLayer's Centrifugo endpoint). The
 * HTTP server (scripts/server.ts, and the compat test server) offers every upgrade request
 * here first; anything not claimed goes to Next.js.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { promptLayerUpgrade } from "./promptlayer-realtime";

/** Returns true when it took the connection. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

const handlers: UpgradeHandler[] = [promptLayerUpgrade];

export function handleCompatUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
  return handlers.some((h) => h(req, socket, head));
}

/**
 * Refuses an upgrade no handler took: 404 and the connection closed. In production Next.js
 * takes no WebSockets (its upgrade handler only serves hot reload in development, and
 * otherwise does nothing), so an upgrade to any other path would stay open forever.
 */
export function refuseUpgrade(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.on("error", () => {});
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found");
}
