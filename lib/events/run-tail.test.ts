/**
 * The shared reader of a followed run (lib/events/run-tail.ts) when its followers drift
 * apart, as they do when many viewers are held back by their connections: a follower that
 * read the log on its own and got ahead of the shared buffer must not throw the buffer
 * away while others still read from it (they would all fall out and read — and hold —
 * their own pages of the log; bench/fanout.ts saw 200 viewers each holding 1,000 frames).
 * Real database and event writer.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../schemas/workspace";
import { RunEventWriter } from "../services/run-event-writer";
import { followRunEvents } from "./follow-run-events";
import { acquireRunTail, runTailOf, TAIL_PAGE } from "./run-tail";
import { demoRunFixture, type DemoRunFixture } from "../services/test-run-fixture";

let actor: Actor;
let fixture: DemoRunFixture;

beforeAll(async () => {
  fixture = await demoRunFixture();
  actor = fixture.actor;
});

async function runWithEvents(count: number) {
  const run = await fixture.insertRunningRun();
  const writer = new RunEventWriter(run.id, actor.workspaceId, 0);
  for (let i = 1; i <= count; i++) {
    writer.append("text_chunk", { text: ` w${i}` });
    if (i % 500 === 0) await writer.flushNow();
  }
  await writer.flushNow();
  return { ...run, writer };
}

const seqsOf = (frames: { seq: number }[] | null) => frames?.map((f) => f.seq) ?? null;

describe("RunTail with followers far apart", () => {
  it("keeps the buffer for followers inside it when another one got ahead on its own", async () => {
    const run = await runWithEvents(1500);
    const slow = {};
    const ahead = {};
    const { tail, release } = acquireRunTail(run.id, slow);
    const { release: releaseAhead } = acquireRunTail(run.id, ahead);
    try {
      expect(tail.buffered(slow, 0)).toEqual([]); // the buffer starts where the first follower is
      await tail.refresh(0);
      expect(seqsOf(tail.buffered(slow, 0, 3))).toEqual([1, 2, 3]);
      // `ahead` read the log itself up to 1200, past the buffer's end (1000).
      expect(tail.buffered(ahead, 1200)).toEqual([]);
      // The slow follower still reads from the buffer (null would send it to the database).
      expect(seqsOf(tail.buffered(slow, 3, 2))).toEqual([4, 5]);
      // A refresh extends the buffer up to and past the one ahead.
      expect(await tail.refresh(0)).toBe(true);
      expect(seqsOf(tail.buffered(ahead, 1200, 2))).toEqual([1201, 1202]);
      expect(seqsOf(tail.buffered(slow, 5, 1))).toEqual([6]);
    } finally {
      release();
      releaseAhead();
    }
  });

  it("still restarts the buffer when nobody else is inside it", async () => {
    const run = await runWithEvents(1200);
    const a = {};
    const { tail, release } = acquireRunTail(run.id, a);
    try {
      expect(tail.buffered(a, 0)).toEqual([]);
      await tail.refresh(0);
      expect(tail.buffered(a, 1100)).toEqual([]); // alone and ahead: restart at 1100
      await tail.refresh(0);
      expect(seqsOf(tail.buffered(a, 1100, 2))).toEqual([1101, 1102]);
      expect(tail.buffered(a, 5)).toBeNull(); // seq 6 is no longer buffered
    } finally {
      release();
    }
  });

  it("followers spread over a long log each get every event once and in order", async () => {
    const total = 3 * TAIL_PAGE + 500;
    const run = await runWithEvents(total - 1);
    // Some followers replay from far behind (they read the log themselves and get ahead of
    // the buffer), others wait at the tail; all of them read while more is written.
    const starts = [0, 10, 700, 1500, 2400, total - 1, total - 1, 3000];
    const followers = starts.map((afterSeq) => (async () => {
      const seqs: number[] = [];
      for await (const frame of followRunEvents(run.id, { afterSeq })) {
        seqs.push(frame.seq);
        if (seqs.length % 300 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      return seqs;
    })());
    await new Promise((r) => setTimeout(r, 20));
    run.writer.append("run_finished", { status: "succeeded" }, { run: { status: "succeeded", finishedAt: new Date() } });
    await run.writer.flushNow();
    const results = await Promise.all(followers);
    results.forEach((seqs, i) => expect(seqs).toEqual(Array.from({ length: total - starts[i] }, (_, k) => starts[i] + k + 1)));
    expect(runTailOf(run.id)).toBeUndefined();
  });
});
