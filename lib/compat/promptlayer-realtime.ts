/**
 * The WebSocket the official PromptLayer client waits on after starting a run: a small
 * server side of Centrifugo's JSON protocol at `/connection/websocket`.
 *
 * Frames carry one JSON command per line. The client sends `{id, connect: {token}}` (the token
 * from POST /ws-token-request-library) and `{id, subscribe: {channel: "workflow_updates:<run>"}}`;
 * each command is answered by a reply with its id. When the run has ended — at once if it
 * already had — the channel gets one publication, `{message_name: "SET_WORKFLOW_COMPLETE",
 * data: "<JSON of {result_code: 'OK', final_output}>"}`, with the same result the results
 * endpoint gives. A token covers one run of one workspace: any other channel is refused
 * (error 103), and a token this server did not sign closes the connection (3500, as
 * Centrifugo does for an invalid token). The server pings (`{}`) every 25 s.
 *
 * Loaded by scripts/server.ts outside the Next.js bundles (through lib/compat/upgrades.ts):
 * it must not import anything Next.js-specific.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { waitForRunEnd } from "../api/run-response";
import { isApiKeyLive } from "../services/api-keys";
import { channelOf, readRunResult, verifyWorkflowToken, type WorkflowTokenClaims } from "./promptlayer";
import type { UpgradeHandler } from "./upgrades";

export const CENTRIFUGO_PATH = "/connection/websocket";
export const SET_WORKFLOW_COMPLETE = "SET_WORKFLOW_COMPLETE";

const PING_SEC = 25;
/** How long one wait for the run's end lasts before it is renewed (the socket may stay open longer). */
const WAIT_SLICE_MS = 10 * 60_000;

// Centrifugo's error and disconnect codes that this server uses.
const ERR_UNAUTHORIZED = { code: 101, message: "unauthorized" };
const ERR_PERMISSION_DENIED = { code: 103, message: "permission denied" };
const ERR_METHOD_NOT_FOUND = { code: 104, message: "method not found" };
const ERR_ALREADY_SUBSCRIBED = { code: 105, message: "already subscribed" };
const ERR_BAD_REQUEST = { code: 107, message: "bad request" };
const ERR_TOKEN_EXPIRED = { code: 109, message: "token expired" };
const CLOSE_INVALID_TOKEN = { code: 3500, reason: "invalid token" };
const CLOSE_BAD_REQUEST = { code: 3501, reason: "bad request" };

interface Command {
  id?: number;
  connect?: { token?: unknown };
  subscribe?: { channel?: unknown };
  unsubscribe?: { channel?: unknown };
  [method: string]: unknown;
}

/** One client connection: its token's claims once connected, and a waiter per subscription. */
class Connection {
  private claims: WorkflowTokenClaims | null = null;
  private readonly subscriptions = new Map<string, AbortController>();
  private readonly pinger: ReturnType<typeof setInterval>;
  /** Commands are handled one after another: connect checks its key before a subscribe in the same frame runs. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ws: WebSocket) {
    this.pinger = setInterval(() => this.send({}), PING_SEC * 1000);
    this.pinger.unref?.();
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.on("close", () => this.dispose());
    ws.on("error", () => this.dispose());
  }

  private send(reply: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(reply));
  }

  private close(how: { code: number; reason: string }): void {
    this.dispose();
    this.ws.close(how.code, how.reason);
  }

  private dispose(): void {
    clearInterval(this.pinger);
    for (const waiter of this.subscriptions.values()) waiter.abort();
    this.subscriptions.clear();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.close(CLOSE_BAD_REQUEST);
    const text = Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.concat(data as Buffer[]).toString("utf8");
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let command: Command;
      try {
        command = JSON.parse(line) as Command;
      } catch {
        return this.close(CLOSE_BAD_REQUEST);
      }
      if (!command || typeof command !== "object" || Array.isArray(command)) return this.close(CLOSE_BAD_REQUEST);
      this.queue = this.queue.then(() => this.handleOpen(command));
    }
  }

  private async handleOpen(command: Command): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return;
    try {
      await this.handle(command);
    } catch (error) {
      console.error("[promptlayer websocket] command failed:", error);
      this.close({ code: 3004, reason: "internal server error" });
    }
  }

  private async handle(command: Command): Promise<void> {
    const id = command.id;
    // `{}` is the client's pong; a command without an id (Centrifugo's `send`) expects no reply.
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return;
    const error = (e: { code: number; message: string }) => this.send({ id, error: e });

    if (command.connect) {
      if (this.claims) return error(ERR_BAD_REQUEST);
      const claims = verifyWorkflowToken(command.connect.token);
      if (claims === "expired") return error(ERR_TOKEN_EXPIRED);
      if (!claims) return this.close(CLOSE_INVALID_TOKEN);
      // A token lives no longer than the key it was issued to.
      if (!(await isApiKeyLive(claims.workspaceId, claims.apiKeyId))) return this.close(CLOSE_INVALID_TOKEN);
      if (this.ws.readyState !== this.ws.OPEN) return;
      this.claims = claims;
      return this.send({ id, connect: { client: randomUUID(), version: "flowdeck", ping: PING_SEC, pong: false } });
    }
    if (!this.claims) return this.close(CLOSE_BAD_REQUEST);

    if (command.subscribe) {
      const channel = command.subscribe.channel;
      if (typeof channel !== "string" || channel !== channelOf(this.claims.runId)) return error(ERR_PERMISSION_DENIED);
      if (this.subscriptions.has(channel)) return error(ERR_ALREADY_SUBSCRIBED);
      const waiter = new AbortController();
      this.subscriptions.set(channel, waiter);
      this.send({ id, subscribe: {} });
      void this.publishWhenDone(channel, this.claims.runId, waiter.signal);
      return;
    }
    if (command.unsubscribe) {
      const channel = command.unsubscribe.channel;
      if (typeof channel === "string") {
        this.subscriptions.get(channel)?.abort();
        this.subscriptions.delete(channel);
      }
      return this.send({ id, unsubscribe: {} });
    }
    if (command.refresh || command.sub_refresh) return error(ERR_UNAUTHORIZED);
    return error(ERR_METHOD_NOT_FOUND);
  }

  /** Waits for the run to end, then publishes its result on the channel (once). */
  private async publishWhenDone(channel: string, runId: number, signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted && !(await waitForRunEnd(runId, WAIT_SLICE_MS, signal)));
      if (signal.aborted) return;
      const result = await readRunResult(runId);
      if (signal.aborted) return;
      // The key may have been revoked while the run went on.
      if (!this.claims || !(await isApiKeyLive(this.claims.workspaceId, this.claims.apiKeyId))) return this.close(CLOSE_INVALID_TOKEN);
      if (signal.aborted) return;
      if (!result) return this.close({ code: 4504, reason: "execution not found" });
      const data = JSON.stringify({ result_code: "OK", final_output: result.output });
      this.send({ push: { channel, pub: { data: { message_name: SET_WORKFLOW_COMPLETE, data } } } });
    } catch (error) {
      console.error(`[promptlayer websocket] run ${runId}:`, error);
      // Centrifugo's "internal server error" disconnect: the client may reconnect and try again.
      if (!signal.aborted) this.close({ code: 3004, reason: "internal server error" });
    }
  }
}

const globalForRealtime = globalThis as unknown as { flowdeckPromptLayerWss?: WebSocketServer };
// One server per process, also when this module is loaded more than once.
const wss = (globalForRealtime.flowdeckPromptLayerWss ??= new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 }));

/** Takes upgrade requests for /connection/websocket; lib/compat/upgrades.ts offers it every upgrade. */
export const promptLayerUpgrade: UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  let path: string;
  try {
    path = new URL(req.url ?? "/", "http://localhost").pathname;
  } catch {
    return false;
  }
  if (path !== CENTRIFUGO_PATH) return false;
  wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws));
  return true;
};
