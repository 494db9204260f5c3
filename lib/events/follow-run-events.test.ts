/**
 * followRunEvents with several followers of one run in one process (the test file's own
 * database): every follower gets every event once and in order whatever its position (at
 * the tail, resuming mid-log, replaying from the start, pausing while others go on), and
 * followers at the tail share their reads (lib/events/run-tail.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { RunEventFrame } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { RunEventWriter } from "../services/run-event-writer";
import { followRunEvents } from "./follow-run-events";
import { runTailOf } from "./run-tail";
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

/** Writes `count` chunks in batches of `batch` (one commit + one notification each). */
async function writeChunks(writer: RunEventWriter, count: number, batch: number, from = 1) {
  for (let i = from; i < from + count; i++) {
    writer.append("text_chunk", { i });
    if ((i - from + 1) % batch === 0) await writer.flushNow();
  }
  await writer.flushNow();
}

async function finish(writer: RunEventWriter) {
  writer.append("run_finished", { status: "succeeded" }, { run: { status: "succeeded", finishedAt: new Date() } });
  await writer.flushNow();
}

function follow(runId: number, opts: { afterSeq?: number; signal?: AbortSignal } = {}, pauseAt?: { seq: number; until: Promise<void> }) {
  const frames: RunEventFrame[] = [];
  const done = (async () => {
    for await (const frame of followRunEvents(runId, opts)) {
      frames.push(frame);
      if (pauseAt && frame.seq === pauseAt.seq) await pauseAt.until;
    }
    return frames;
  })();
  return { frames, done };
}

const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const tick = () => new Promise((r) => setTimeout(r, 5));
/** Waits until every follower has `count` frames (reads take longer on PostgreSQL). */
async function received(followers: { frames: RunEventFrame[] }[], count: number) {
  const end = Date.now() + 10_000;
  while (followers.some((f) => f.frames.length < count)) {
    if (Date.now() > end) throw new Error(`followers have ${followers.map((f) => f.frames.length)} frames, expected ${count}`);
    await tick();
  }
}
/** Waits until the run's shared reader has `n` followers (each has made its first read). */
async function joined(runId: number, n: number) {
  const end = Date.now() + 10_000;
  while ((runTailOf(runId)?.followers ?? 0) < n || runTailOf(runId)!.reads < 1) {
    if (Date.now() > end) throw new Error("followers did not start");
    await tick();
  }
  await tick();
}

describe("followRunEvents, several followers of one run", () => {
  it("followers at the tail get everything in order and share one read per notification", async () => {
    const run = await newRun();
    const followers = Array.from({ length: 8 }, () => follow(run.id));
    await joined(run.id, 8);
    await writeChunks(run.writer, 300, 10); // 30 commits
    await finish(run.writer);
    for (const f of followers) expect((await f.done).map((x) => x.seq)).toEqual(seqs(1, 301));
    expect(runTailOf(run.id)).toBeUndefined(); // released by the last one
  });

  it("shares reads: 8 followers, one read per notification", async () => {
    const run = await newRun();
    const followers = Array.from({ length: 8 }, () => follow(run.id));
    await joined(run.id, 8);
    const tail = runTailOf(run.id)!;
    const before = tail.reads;
    for (let b = 0; b < 20; b++) {
      await writeChunks(run.writer, 5, 5, b * 5 + 1);
      await received(followers, (b + 1) * 5);
    }
    // 20 notifications, 8 followers: one read each (8 × 20 without sharing).
    expect(tail.reads - before).toBe(20);
    await finish(run.writer);
    for (const f of followers) expect((await f.done).map((x) => x.seq)).toEqual(seqs(1, 101));
  });

  it("resuming mid-log, replaying from the start and joining late all get exactly the rest", async () => {
    const run = await newRun();
    await writeChunks(run.writer, 4500, 500); // more than the shared buffer keeps
    const atTail = follow(run.id, { afterSeq: 4500 });
    const resumed = follow(run.id, { afterSeq: 1234 });
    const replay = follow(run.id);
    await tick();
    await writeChunks(run.writer, 50, 7, 4501);
    const late = follow(run.id, { afterSeq: 10 });
    await writeChunks(run.writer, 50, 3, 4551);
    await finish(run.writer);
    expect((await atTail.done).map((f) => f.seq)).toEqual(seqs(4501, 4601));
    expect((await resumed.done).map((f) => f.seq)).toEqual(seqs(1235, 4601));
    expect((await replay.done).map((f) => f.seq)).toEqual(seqs(1, 4601));
    expect((await late.done).map((f) => f.seq)).toEqual(seqs(11, 4601));
    expect((await replay.done).map((f) => (f.data as { i?: number }).i).slice(0, -1)).toEqual(seqs(1, 4600));
  });

  it("a follower that stalls while the others go far ahead still gets every event", async () => {
    const run = await newRun();
    let resume!: () => void;
    const stalled = follow(run.id, {}, { seq: 5, until: new Promise<void>((r) => (resume = r)) });
    const fast = follow(run.id);
    await joined(run.id, 2);
    await writeChunks(run.writer, 5000, 250);
    await received([fast], 5000);
    expect(stalled.frames.length).toBe(5);
    resume();
    await finish(run.writer);
    expect((await stalled.done).map((f) => f.seq)).toEqual(seqs(1, 5001));
    expect((await fast.done).map((f) => f.seq)).toEqual(seqs(1, 5001));
  });

  it("shared frames cannot be changed by one follower under another", async () => {
    const run = await newRun();
    const a = follow(run.id);
    const b = follow(run.id);
    await joined(run.id, 2);
    await writeChunks(run.writer, 3, 3);
    await finish(run.writer);
    const [fa, fb] = [await a.done, await b.done];
    expect(fa.map((f) => f.seq)).toEqual(fb.map((f) => f.seq));
    expect(() => {
      (fa[0].data as { i: number }).i = 99;
    }).toThrow(TypeError);
    expect((fb[0].data as { i: number }).i).toBe(1);
  });

  it("an aborted follower stops and lets go of the run's shared reader", async () => {
    const run = await newRun();
    const stop = new AbortController();
    const f = follow(run.id, { signal: stop.signal });
    await joined(run.id, 1);
    await writeChunks(run.writer, 10, 10);
    await received([f], 10);
    expect(runTailOf(run.id)?.followers).toBe(1);
    stop.abort();
    expect((await f.done).map((x) => x.seq)).toEqual(seqs(1, 10));
    expect(runTailOf(run.id)).toBeUndefined();
  });
});
