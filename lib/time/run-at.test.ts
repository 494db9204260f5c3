import { describe, expect, it } from "vitest";
import { runAt, type Clock } from "./run-at";

/** A clock whose timers fire `earlyBy` ms before the wall clock reaches their end (but never at once). */
function earlyClock(earlyBy: number) {
  let now = 1_000;
  const pending: Array<{ at: number; fn: () => void }> = [];
  const clock: Clock = {
    now: () => now,
    setTimer: (fn, ms) => void pending.push({ at: now + Math.max(1, ms - earlyBy), fn }),
  };
  /** Moves the wall clock to the next timer's (early) firing time and fires it. */
  const fireNext = () => {
    pending.sort((a, b) => a.at - b.at);
    const t = pending.shift();
    if (!t) return false;
    now = Math.max(now, t.at);
    t.fn();
    return true;
  };
  return { clock, fireNext, get now() { return now; }, get pending() { return pending.length; } };
}

describe("runAt", () => {
  it("runs at once when the time has come", () => {
    const c = earlyClock(1);
    let ran = 0;
    runAt(c.now, () => ran++, c.clock);
    runAt(c.now - 50, () => ran++, c.clock);
    expect(ran).toBe(2);
    expect(c.pending).toBe(0);
  });

  it("never runs before the due time, even when the timer fires early", () => {
    const c = earlyClock(1);
    const dueAt = c.now + 200;
    const ranAt: number[] = [];
    runAt(dueAt, () => ranAt.push(c.now), c.clock);
    expect(c.fireNext()).toBe(true); // fires 1 ms early: must wait out the rest
    expect(ranAt).toEqual([]);
    expect(c.pending).toBe(1);
    while (c.fireNext());
    expect(ranAt).toHaveLength(1);
    expect(ranAt[0]).toBeGreaterThanOrEqual(dueAt);
  });

  it("on the system clock, runs once, no earlier than its due time", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => new Promise<number>((resolve) => {
      const dueAt = Date.now() + 5 + (i % 7);
      runAt(dueAt, () => resolve(Date.now() - dueAt));
    })));
    expect(Math.min(...results)).toBeGreaterThanOrEqual(0);
  });
});
