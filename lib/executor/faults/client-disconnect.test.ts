/**
 * Fault: a client that disconnects mid-stream. A run started in streaming mode — Flowdeck's
 * SSE (`POST /api/v1/workflows/{name}/runs`, response_mode `streaming`) and Dify's
 * (`POST /v1/workflows/run`, response_mode `streaming`) — streams an LLM's text; the client
 * reads a few events and drops the connection.
 *
 * Asserted: the run goes on and ends `succeeded` with every event stored (gap-free, the
 * whole text); a later reader of /api/v1/runs/{id}/events gets the whole log and the stream
 * closes; the server still serves. In-process (the route handlers over real HTTP), also
 * that the dropped stream let go of everything while the run was still going: no bus
 * subscription and no shared reader left for the run. Then the same over the production
 * server (lib/api/test-server.ts; skipped without a build, required in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as startRunRoute } from "../../../app/api/v1/workflows/[workflow]/runs/route";
import { GET as runEventsRoute } from "../../../app/api/v1/runs/[run]/events/route";
import { FAKE_OPENAI_API_KEY, FAKE_OPENAI_MODEL, startFakeOpenAI, type FakeOpenAI } from "../../../scripts/fake-openai";
import { startTestServer, testServerUnavailable, type TestServer } from "../../api/test-server";
import { difyEndpoints } from "../../compat/dify";
import type { CompatHandler } from "../../compat/kit/routes";
import { startCompatTestServer, type CompatTestServer } from "../../compat/kit/test-server";
import { applyMigrations } from "../../db/migrate";
import { db } from "../../db/client";
import { runTailOf } from "../../events/run-tail";
import type { Actor } from "../../schemas/workspace";
import { createApiKey } from "../../services/api-keys";
import { setSecret } from "../../services/secrets";
import { createWorkflow } from "../../services/workflows";
import { createWorkspace } from "../../services/workspaces";
import { waitFor } from "../test-fixtures";
import { checkRunsSettled, waitForAllRunsToEnd } from "./checks";

const TOKENS = 150;
const READ_BEFORE_DROP = 5;

let actor: Actor;
let llm: FakeOpenAI;
let inProcess: CompatTestServer;
const keys = { api: "", dify: "" };

beforeAll(async () => {
  await applyMigrations();
  // ~10 ms a token: a run streams for a second and a half or so.
  llm = await startFakeOpenAI({ host: "127.0.0.1", tokenDelayMs: 10 });
  process.env.FLOWDECK_FETCH_ALLOW = new URL(llm.url).host;
  const user = await db.user.create({ data: { email: "disconnect@example.test" } });
  actor = await createWorkspace(user.id, { slug: "disconnect", name: "Disconnect" });
  await setSecret(actor, "llm", JSON.stringify({ base_url: llm.url, api_key: FAKE_OPENAI_API_KEY, model: FAKE_OPENAI_MODEL }));
  await createWorkflow(actor, {
    name: "talk",
    definition: {
      steps: [{ id: "answer", kind: "llm", config: { prompt: `tokens:${TOKENS}` } }],
      outputs: { text: "{{ steps.answer.output.text }}" },
    },
  });
  keys.api = (await createApiKey(actor, { name: "disconnect api" })).key;
  keys.dify = (await createApiKey(actor, { name: "disconnect dify", workflow: "talk" })).key;
  inProcess = await startCompatTestServer([
    ...difyEndpoints,
    { method: "POST", path: "/api/v1/workflows/:workflow/runs", handler: startRunRoute as CompatHandler, file: "" },
    { method: "GET", path: "/api/v1/runs/:run/events", handler: runEventsRoute as CompatHandler, file: "" },
  ]);
}, 60_000);

afterAll(async () => {
  delete process.env.FLOWDECK_FETCH_ALLOW;
  await inProcess?.close();
  await llm?.close();
});

type Transport = "flowdeck" | "dify";

/** Starts a streaming run, reads `READ_BEFORE_DROP` events, then drops the connection. Returns the run's uuid. */
async function startAndDrop(base: string, transport: Transport, beforeDrop?: (uuid: string) => Promise<void>): Promise<string> {
  const abort = new AbortController();
  const res = transport === "flowdeck"
    ? await fetch(`${base}/api/v1/workflows/talk/runs`, {
      method: "POST", signal: abort.signal,
      headers: { authorization: `Bearer ${keys.api}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: {}, response_mode: "streaming" }),
    })
    : await fetch(`${base}/v1/workflows/run`, {
      method: "POST", signal: abort.signal,
      headers: { authorization: `Bearer ${keys.dify}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: {}, response_mode: "streaming", user: "dropper" }),
    });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const frames = await readFrames(res.body!, READ_BEFORE_DROP);
  const uuid = transport === "flowdeck"
    ? res.headers.get("x-flowdeck-run-id")!
    : (JSON.parse(frames[0].data) as { workflow_run_id: string }).workflow_run_id;
  expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
  await beforeDrop?.(uuid);
  abort.abort(); // the client goes away mid-stream
  return uuid;
}

interface Frame { id?: string; event?: string; data: string }

/** Reads SSE frames that carry data until `count` were read (or the stream ends). */
async function readFrames(body: ReadableStream<Uint8Array>, count = Infinity): Promise<Frame[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = "";
  try {
    while (frames.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0 && frames.length < count) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame: Partial<Frame> = {};
        for (const line of block.split("\n")) {
          const at = line.indexOf(": ");
          if (at > 0) (frame as Record<string, string>)[line.slice(0, at)] = line.slice(at + 2);
        }
        if (frame.data !== undefined) frames.push(frame as Frame);
      }
    }
  } finally {
    reader.releaseLock();
  }
  return frames;
}

/** The run went on to the end with its whole log; a later reader gets all of it. */
async function checkRunFinished(base: string, uuid: string) {
  const run = await waitFor(async () => {
    const r = await db.run.findUnique({ where: { uuid }, select: { id: true, status: true, lastSeq: true } });
    return r && ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
  }, 20_000, `run ${uuid} to end`);
  const [settled] = await checkRunsSettled([uuid]);
  const chunks = settled.events.filter((e) => e.type === "text_chunk").map((e) => (JSON.parse(e.data) as { text: string }).text).join("");
  expect(chunks.trim().split(/\s+/), "the streamed text, as stored").toHaveLength(TOKENS);
  const payload = await db.runPayload.findUniqueOrThrow({ where: { runId: run.id } });
  expect(JSON.parse(payload.outputs ?? "{}").text).toBe(chunks);

  const later = await fetch(`${base}/api/v1/runs/${uuid}/events`, { headers: { authorization: `Bearer ${keys.api}` } });
  expect(later.status).toBe(200);
  const frames = await readFrames(later.body!); // ends: the stream of a finished run closes
  expect(frames.map((f) => Number(f.id))).toEqual(Array.from({ length: run.lastSeq }, (_, i) => i + 1));
  expect(frames.at(-1)?.event).toBe("run_finished");
  return { run, events: frames.length };
}

/** The bus subscriptions of run `runId` in this process. */
function busListeners(runId: number): number {
  const bus = (globalThis as { flowdeckRunBusState?: { emitter: import("node:events").EventEmitter } }).flowdeckRunBusState;
  return bus?.emitter.listenerCount(`run:${runId}`) ?? 0;
}

describe("a client that disconnects mid-stream (route handlers in this process)", () => {
  for (const transport of ["flowdeck", "dify"] as const) {
    it(`${transport} streaming: the dropped stream lets go at once, the run finishes with every event`, async () => {
      const uuid = await startAndDrop(inProcess.url, transport, async (uuid) => {
        // While the client reads, its stream follows the run here (what the drop must undo).
        const { id } = await db.run.findUniqueOrThrow({ where: { uuid }, select: { id: true } });
        expect(busListeners(id), "bus subscriptions while the client reads").toBeGreaterThan(0);
        expect(runTailOf(id)?.followers, "followers of the run while the client reads").toBe(1);
      });
      const { id } = await db.run.findUniqueOrThrow({ where: { uuid }, select: { id: true } });
      // Let go of while the run is still going (a leaked follower would only end with the run).
      await waitFor(() => busListeners(id) === 0 && runTailOf(id) === undefined, 3_000, "the dropped stream to let go of the run");
      const status = (await db.run.findUniqueOrThrow({ where: { id } })).status;
      expect(status, "the run was still going when the stream had let go").toBe("running");

      const { events } = await checkRunFinished(inProcess.url, uuid);
      // The later reader let go too.
      await waitFor(() => busListeners(id) === 0 && runTailOf(id) === undefined, 3_000, "the later reader to let go");
      console.log(`client disconnect (in-process, ${transport}): dropped after ${READ_BEFORE_DROP} events; the run went on to ${events} events, succeeded; nothing left subscribed`);
    }, 30_000);
  }
});

const skipServer = testServerUnavailable();

describe.skipIf(skipServer)("a client that disconnects mid-stream (production server)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { FLOWDECK_FETCH_ALLOW: new URL(llm.url).host } });
  }, 90_000);
  afterAll(() => server?.stop());

  it("Flowdeck and Dify streams dropped mid-run, several at once: every run finishes with its whole log, the server still serves", async () => {
    const uuids = await within(20_000, "four streams to start and be dropped", Promise.all([
      startAndDrop(server.url, "flowdeck"), startAndDrop(server.url, "dify"),
      startAndDrop(server.url, "flowdeck"), startAndDrop(server.url, "dify"),
    ]));
    await waitForAllRunsToEnd(30_000);
    const results = [];
    for (const uuid of uuids) results.push(await within(15_000, `the whole log of run ${uuid} to be checked and replayed`, checkRunFinished(server.url, uuid)));
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    // And it still streams a whole run to a client that stays.
    const res = await fetch(`${server.url}/api/v1/workflows/talk/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.api}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: {}, response_mode: "streaming" }),
    });
    const frames = await within(15_000, "a whole streamed run", readFrames(res.body!));
    expect(frames.at(-1)?.event).toBe("run_finished");
    expect(JSON.parse(frames.at(-1)!.data).data?.status ?? JSON.parse(frames.at(-1)!.data).status).toBe("succeeded");
    console.log(`client disconnect (server): ${uuids.length} streams dropped; runs went on to ${results.map((r) => r.events).join("/")} events each, all succeeded; the server still serves`);
  }, 90_000);
});

/** `promise`, or an error naming what did not happen within `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]);
}
