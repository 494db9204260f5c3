/**
 * Streaming answers under a slow reader (lib/api/event-stream.ts, lib/api/sse.ts): the
 * producer is held back while the reader has a queue (memory stays bounded, instead of the
 * server buffering a whole run's stream per slow viewer), and SSE writes the frames it has
 * at hand in one piece, so a viewer that fell behind catches up in a few large writes
 * rather than one write per event (what made 200 viewers of a 5,000-chunk run fall seconds
 * behind: bench/fanout.ts). Real database, real event writer, Response bodies read as a
 * client would.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../schemas/workspace";
import { RunEventWriter } from "../services/run-event-writer";
import { textStreamResponse } from "./event-stream";
import { runEventStreamResponse } from "./sse";
import { demoRunFixture, type DemoRunFixture } from "../services/test-run-fixture";

let actor: Actor;
let fixture: DemoRunFixture;

beforeAll(async () => {
  fixture = await demoRunFixture();
  actor = fixture.actor;
});

async function newRun() {
  const run = await fixture.insertRunningRun();
  return { ...run, writer: new RunEventWriter(run.id, actor.workspaceId, 0) };
}

async function writeChunks(writer: RunEventWriter, count: number, batch: number, from = 1) {
  for (let i = from; i < from + count; i++) {
    writer.append("text_chunk", { step_id: "answer", text: ` word${i}` });
    if ((i - from + 1) % batch === 0) await writer.flushNow();
  }
  await writer.flushNow();
}

async function finish(writer: RunEventWriter) {
  writer.append("run_finished", { status: "succeeded" }, { run: { status: "succeeded", finishedAt: new Date() } });
  await writer.flushNow();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const request = () => new Request("http://flowdeck.test/api/v1/runs/x/events", { signal: new AbortController().signal });

/** Reads an SSE body to its end, `pauseMs` between reads; the seqs and how many reads it took. */
async function readAll(res: Response, pauseMs = 0): Promise<{ seqs: number[]; reads: number }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let reads = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    reads++;
    text += decoder.decode(value, { stream: true });
    if (pauseMs) await sleep(pauseMs);
  }
  const seqs = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return { seqs, reads };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("textStreamResponse backpressure", () => {
  it("does not ask the producer for more while the reader has a queue, and loses nothing", async () => {
    let produced = 0;
    const piece = "x".repeat(1023) + "\n";
    const res = textStreamResponse(request(), async function* () {
      for (let i = 0; i < 2000; i++) {
        produced++;
        yield piece;
      }
    }, { contentType: "text/plain" });
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(100);
    // 2 MB were available; only about the queue's worth (16 KiB) was taken.
    expect(produced).toBeLessThan(40);
    let bytes = piece.length;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    expect(produced).toBe(2000);
    expect(bytes).toBe(2000 * piece.length);
  });

  it("stops the producer when the client goes away while it is held back", async () => {
    const gone = new AbortController();
    let finished = false;
    const res = textStreamResponse(new Request("http://flowdeck.test/", { signal: gone.signal }), async function* (signal) {
      try {
        for (let i = 0; i < 100_000 && !signal.aborted; i++) yield "y".repeat(1024);
      } finally {
        finished = true;
      }
    }, { contentType: "text/plain" });
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(50);
    gone.abort();
    await sleep(50);
    expect(finished).toBe(true);
  });
});

describe("SSE of a run's events", () => {
  it("replays a long log in a few large writes, every event once and in order", async () => {
    const run = await newRun();
    await writeChunks(run.writer, 3000, 500);
    await finish(run.writer);
    const { seqs, reads } = await readAll(runEventStreamResponse(request(), run.id, { afterSeq: 0, keepAliveMs: 60_000 }));
    expect(seqs).toEqual(range(1, 3001));
    // One write per page read (1000 frames) plus the preamble, not one per event.
    expect(reads).toBeLessThan(20);
  });

  it("a slow viewer of a live run gets everything in order, catching up in batches", async () => {
    const run = await newRun();
    const fast = readAll(runEventStreamResponse(request(), run.id, { afterSeq: 0, keepAliveMs: 60_000 }));
    const slow = readAll(runEventStreamResponse(request(), run.id, { afterSeq: 0, keepAliveMs: 60_000 }), 20);
    const resumed = readAll(runEventStreamResponse(request(), run.id, { afterSeq: 250, keepAliveMs: 60_000 }), 5);
    await sleep(50);
    for (let b = 0; b < 50; b++) {
      await writeChunks(run.writer, 40, 40, b * 40 + 1); // 2000 events in 50 commits
      await sleep(2);
    }
    await finish(run.writer);
    const [f, s, r] = await Promise.all([fast, slow, resumed]);
    expect(f.seqs).toEqual(range(1, 2001));
    expect(s.seqs).toEqual(range(1, 2001));
    expect(r.seqs).toEqual(range(251, 2001));
    // Held back by its reader, the slow viewer got far fewer writes than events (and than commits).
    expect(s.reads).toBeLessThan(50);
  });
});
