/**
 * The run page's stream follower against a real local HTTP server: a connection dropped
 * mid-frame resumes from the last seq with nothing lost or repeated, a server that repeats
 * itself is deduplicated, refusals stop it, and it waits out a server that is down.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RunEventFrame } from "@/lib/schemas/run";
import { followRunStream, type StreamConnection } from "./run-event-stream";

function frame(seq: number, type = "log"): RunEventFrame {
  return { seq, type, at: new Date(1_700_000_000_000 + seq).toISOString(), data: { step_id: "s", level: "info", message: `line ${seq}` } };
}
const sse = (f: RunEventFrame) => `id: ${f.seq}\nevent: ${f.type}\ndata: ${JSON.stringify(f)}\n\n`;

interface Seen {
  url: string;
  lastEventId: string | undefined;
}

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handle: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", lastEventId: req.headers["last-event-id"] as string | undefined });
    handle(seen.length, req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/events?workspace=w`, seen };
}

function follow(url: string, opts: { afterSeq?: number; runEnded?: () => boolean } = {}) {
  const frames: RunEventFrame[] = [];
  const states: StreamConnection[] = [];
  const abort = new AbortController();
  const done = followRunStream({
    url, afterSeq: opts.afterSeq ?? 0, signal: abort.signal, runEnded: opts.runEnded,
    onFrame: (f) => frames.push(f),
    onConnection: (s) => states.push(s),
    backoffMs: () => 30,
  });
  return { frames, states, abort, done };
}

const eventStream = { "content-type": "text/event-stream" };

describe("followRunStream", () => {
  it("resumes a connection dropped mid-frame from the last seq, losing and repeating nothing", async () => {
    const { url, seen } = await serve((n, req, res) => {
      res.writeHead(200, eventStream);
      if (n === 1) {
        res.write(`retry: 1000\n\n${sse(frame(1, "run_started"))}${sse(frame(2))}${sse(frame(3))}`);
        // Half of frame 4, then the connection dies.
        res.write(sse(frame(4)).slice(0, 20), () => setTimeout(() => req.socket.destroy(), 20));
        return;
      }
      const after = Number(req.headers["last-event-id"]);
      for (let seq = after + 1; seq <= 6; seq++) res.write(sse(frame(seq)));
      res.end(sse(frame(7, "run_finished")));
    });
    const f = follow(url);
    await f.done;
    expect(f.frames.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.map((s) => s.lastEventId)).toEqual(["0", "3"]);
    expect(new URL(seen[1].url, "http://x").searchParams.get("after")).toBe("3");
    expect(new URL(seen[1].url, "http://x").searchParams.get("workspace")).toBe("w");
    expect(f.states).toEqual(["connecting", "live", "reconnecting", "live", "ended"]);
  });

  it("drops frames a server sends again, and picks up a stream the server closed", async () => {
    const { url, seen } = await serve((n, req, res) => {
      res.writeHead(200, eventStream);
      if (n === 1) return void res.end(`${sse(frame(5))}${sse(frame(6))}`);
      // A sloppy server starts over from 1; only 7 and 8 are new.
      for (let seq = 1; seq <= 7; seq++) res.write(sse(frame(seq)));
      res.end(sse(frame(8, "run_finished")));
    });
    const f = follow(url, { afterSeq: 4 });
    await f.done;
    expect(f.frames.map((x) => x.seq)).toEqual([5, 6, 7, 8]);
    expect(seen.map((s) => s.lastEventId)).toEqual(["4", "6"]);
  });

  it("stops at a refusal (a revoked share link) and says so", async () => {
    const { url, seen } = await serve((_n, _req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"code":"not_found","message":"This link does not work"}');
    });
    const f = follow(url);
    await f.done;
    expect(seen).toHaveLength(1);
    expect(f.states.at(-1)).toBe("unavailable");
    expect(f.frames).toEqual([]);
  });

  it("ends when a finished run's stream has nothing new, and keeps waiting while the run is live", async () => {
    let ended = false;
    const { url, seen } = await serve((n, _req, res) => {
      res.writeHead(200, eventStream);
      if (n === 3) ended = true;
      res.end(": keep-alive\n\n");
    });
    const f = follow(url, { afterSeq: 9, runEnded: () => ended });
    await f.done;
    // Two empty streams while the run was live, the third after it had ended.
    expect(seen).toHaveLength(3);
    expect(f.states.at(-1)).toBe("ended");
    expect(f.frames).toEqual([]);
  });

  it("retries a server that is down or failing until it answers", async () => {
    const { url, seen } = await serve((n, _req, res) => {
      if (n <= 2) {
        res.writeHead(503);
        return void res.end();
      }
      res.writeHead(200, eventStream);
      res.end(sse(frame(1, "run_finished")));
    });
    const f = follow(url);
    await f.done;
    expect(seen).toHaveLength(3);
    expect(f.frames.map((x) => x.seq)).toEqual([1]);
    expect(f.states).toEqual(["connecting", "connecting", "connecting", "live", "ended"]);
  });

  it("stops at once when the page goes away", async () => {
    const { url } = await serve((_n, _req, res) => {
      res.writeHead(200, eventStream);
      res.write(sse(frame(1)));
    });
    const f = follow(url);
    await expect.poll(() => f.frames.length).toBe(1);
    f.abort.abort();
    await f.done;
    expect(f.states.at(-1)).toBe("live");
  });
});
