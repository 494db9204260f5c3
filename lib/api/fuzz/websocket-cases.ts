/**
 * PromptLayer's realtime route (`/connection/websocket`, Centrifugo's JSON protocol) fuzzed
 * the way the HTTP routes are: sessions of generated frames — connect with a valid, forged,
 * expired or missing token, subscribe to the token's channel or others, unknown methods,
 * garbage text, binary frames, frames past the size limit. A session must end cleanly (a
 * reply, a close, or nothing) without taking the server down.
 */
import fc from "fast-check";
import { WebSocket } from "ws";
import { issueWorkflowToken } from "../../compat/promptlayer";
import { nastyValue, toJsonText } from "./values";
import type { FuzzWorld } from "./world";

export interface WsCase {
  path: string;
  frames: { data: string | Buffer; note: string }[];
}

export interface WsResult {
  opened: boolean;
  /** HTTP status when the upgrade was refused. */
  refusedStatus?: number;
  replies: string[];
  closeCode?: number;
  error?: string;
}

export function wsCaseArb(world: FuzzWorld): fc.Arbitrary<WsCase> {
  const run = fc.constantFrom(...world.runs);
  // As the token endpoint issues them to the admin key.
  const issued = (runId: number, ttlSec?: number) =>
    issueWorkflowToken({ workspaceId: world.a.workspaceId, runId, apiKeyId: world.adminKeyId }, { ttlSec });
  const token = fc.oneof(
    { weight: 5, arbitrary: run.map((r) => ({ value: issued(r.id) as unknown, note: `token for run ${r.id}` })) },
    { weight: 1, arbitrary: run.map((r) => ({ value: issued(r.id, -10) as unknown, note: "expired token" })) },
    { weight: 1, arbitrary: run.map((r) => ({ value: `${issued(r.id).slice(0, -2)}xx` as unknown, note: "forged token" })) },
    { weight: 1, arbitrary: nastyValue.map((v) => ({ value: v, note: "garbage token" })) },
  );
  const channel = fc.oneof(
    run.map((r) => `workflow_updates:${r.id}`),
    fc.constantFrom(...world.otherRuns.map((r) => `workflow_updates:${r.id}`), "workflow_updates:", "other", ""),
    nastyValue,
  );
  const id = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 50 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, "1", null, 2 ** 60) });
  const command = fc.oneof(
    { weight: 4, arbitrary: fc.record({ id, token }).map(({ id: i, token: t }) => ({ data: toJsonText({ id: i, connect: { token: t.value, name: "js" } }), note: `connect (${t.note})` })) },
    { weight: 4, arbitrary: fc.record({ id, channel }).map(({ id: i, channel: c }) => ({ data: toJsonText({ id: i, subscribe: { channel: c } }), note: `subscribe ${JSON.stringify(c).slice(0, 40)}` })) },
    { weight: 1, arbitrary: fc.record({ id, channel }).map(({ id: i, channel: c }) => ({ data: toJsonText({ id: i, unsubscribe: { channel: c } }), note: "unsubscribe" })) },
    { weight: 1, arbitrary: fc.record({ id, method: fc.constantFrom("publish", "presence", "history", "refresh", "rpc", "__proto__", "connect") , arg: nastyValue })
      .map(({ id: i, method, arg }) => ({ data: `{"id":${JSON.stringify(i)},${JSON.stringify(method)}:${toJsonText(arg)}}`, note: `${method} command` })) },
    { weight: 1, arbitrary: fc.constantFrom("{}", "", "\n\n", "not json", "[1,2]", "null", "{\"id\":1}", "{\"id\":1,\"connect\":null}", "{\"id\":1,\"subscribe\":\"x\"}", "{\"id\":1,\"connect\":\"x\"}")
      .map((data) => ({ data, note: `text ${JSON.stringify(data)}` })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ data: Buffer.from(b), note: "binary frame" })) },
    { weight: 1, arbitrary: fc.constantFrom(70_000).map((n) => ({ data: `{"id":1,"connect":{"token":"${"t".repeat(n)}"}}`, note: "frame past the size limit" })) },
  );
  // Several commands in one frame (newline-separated), as Centrifugo allows.
  const frame = fc.oneof({ weight: 5, arbitrary: command }, {
    weight: 1,
    arbitrary: fc.array(command, { minLength: 2, maxLength: 3 }).map((cs) => ({
      data: cs.map((c) => (typeof c.data === "string" ? c.data : "")).join("\n"),
      note: cs.map((c) => c.note).join(" + "),
    })),
  });
  return fc.record({
    path: fc.oneof({ weight: 8, arbitrary: fc.constant("/connection/websocket") }, { weight: 1, arbitrary: fc.constantFrom("/connection/websocket?format=json", "/connection/websocket/", "/connection/ws") }),
    frames: fc.array(frame, { minLength: 0, maxLength: 4 }),
  });
}

/** Runs a session: connects, sends the frames, waits for the replies to settle; never throws. */
export function runWsCase(origin: string, c: WsCase, idleMs = 250, maxMs = 5_000): Promise<WsResult> {
  return new Promise((resolve) => {
    const result: WsResult = { opened: false, replies: [] };
    const ws = new WebSocket(`${origin.replace(/^http/, "ws")}${c.path}`);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const hard = setTimeout(() => finish("no end within the time limit"), maxMs);
    let done = false;
    function finish(error?: string) {
      if (done) return;
      done = true;
      clearTimeout(hard);
      clearTimeout(idle);
      if (error) result.error = error;
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      resolve(result);
    }
    const rearm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(), idleMs);
    };
    ws.on("unexpected-response", (_req, res) => {
      result.refusedStatus = res.statusCode;
      res.resume();
      finish();
    });
    ws.on("open", () => {
      result.opened = true;
      for (const f of c.frames) ws.send(f.data, { binary: Buffer.isBuffer(f.data) });
      rearm();
    });
    ws.on("message", (data) => {
      result.replies.push(String(data).slice(0, 300));
      rearm();
    });
    ws.on("close", (code) => {
      result.closeCode = code;
      finish();
    });
    ws.on("error", (error) => finish(`socket error: ${error.message}`));
  });
}
