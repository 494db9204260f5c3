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
