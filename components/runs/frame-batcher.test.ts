/** The per-animation-frame batcher: many frames in, one delivery per scheduled turn. */
import { describe, expect, it } from "vitest";
import { animationFrameScheduler, createFrameBatcher, type BatchScheduler } from "./frame-batcher";

function manualScheduler() {
  const pending: (() => void)[] = [];
  const scheduler: BatchScheduler = {
    request(run) {
      let live = true;
      pending.push(() => live && run());
      return () => { live = false; };
    },
  };
  return { scheduler, tick: () => pending.splice(0).forEach((run) => run()), requests: () => pending.length };
}

describe("createFrameBatcher", () => {
  it("delivers everything pushed before a turn in one batch, in order, asking for one turn", () => {
    const { scheduler, tick, requests } = manualScheduler();
    const batches: number[][] = [];
    const batcher = createFrameBatcher<number>((items) => batches.push(items), scheduler);
    for (let i = 1; i <= 1000; i++) batcher.push(i);
    expect(requests()).toBe(1);
    expect(batches).toEqual([]);
    tick();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    batcher.push(1001);
    tick();
    expect(batches.map((b) => b.length)).toEqual([1000, 1]);
  });

  it("flushes at once when asked, and a later turn delivers nothing twice", () => {
    const { scheduler, tick } = manualScheduler();
    const batches: string[][] = [];
    const batcher = createFrameBatcher<string>((items) => batches.push(items), scheduler);
    batcher.push("a");
    batcher.push("b");
    batcher.flush();
    tick();
    expect(batches).toEqual([["a", "b"]]);
  });

  it("drops what is waiting on dispose", () => {
    const { scheduler, tick } = manualScheduler();
    const batches: string[][] = [];
    const batcher = createFrameBatcher<string>((items) => batches.push(items), scheduler);
    batcher.push("a");
    batcher.dispose();
    tick();
    batcher.flush();
    expect(batches).toEqual([]);
  });

  it("falls back to a timer where no animation frame comes (a hidden tab, or no DOM)", async () => {
    const batches: number[][] = [];
    const batcher = createFrameBatcher<number>((items) => batches.push(items), animationFrameScheduler(20));
    batcher.push(1);
    batcher.push(2);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toEqual([[1, 2]]);
  });
});
