/**
 * A timer for "at this wall-clock time" rather than "after this long".
 *
 * Node's timers run on a monotonic clock rounded to whole milliseconds, so a
 * `setTimeout(fn, d)` set when Date.now() was t can fire while Date.now() still reads
 * t + d - 1. Code that then compares a stored due time with Date.now() (a claim such as
 * `nextAttemptAt <= now`) would find the work not due yet. runAt waits out the rest instead.
 */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): void;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => void setTimeout(fn, ms).unref?.(),
};

/** Calls `fn` once Date.now() ≥ `dueAt` (at once if it already is); the timer does not keep the process alive. */
export function runAt(dueAt: number, fn: () => void, clock: Clock = systemClock): void {
  const wait = dueAt - clock.now();
  if (wait > 0) clock.setTimer(() => runAt(dueAt, fn, clock), wait);
  else fn();
}
