/** Time words used across the console: past, future, and the exact time shown on hover. */
import { describe, expect, it } from "vitest";
import { formatExactUtc, formatRelative, formatUntil } from "./format";

const NOW = Date.parse("2026-11-22T12:00:00.000Z");
const at = (ms: number) => new Date(NOW + ms).toISOString();

describe("formatRelative", () => {
  it("says how long ago, in the largest whole unit", () => {
    expect(formatRelative(at(-2_000), NOW)).toBe("just now");
    expect(formatRelative(at(-42_000), NOW)).toBe("42 s ago");
    expect(formatRelative(at(-5 * 60_000), NOW)).toBe("5 min ago");
    expect(formatRelative(at(-3 * 3_600_000), NOW)).toBe("3 h ago");
    expect(formatRelative(at(-9 * 86_400_000), NOW)).toBe("9 d ago");
  });
});

describe("formatUntil", () => {
  it("says how long until a future time, rounding to the nearest unit", () => {
    expect(formatUntil(at(12_000), NOW)).toBe("in 12 s");
    expect(formatUntil(at(10 * 60_000), NOW)).toBe("in 10 min");
    expect(formatUntil(at(3 * 3_600_000), NOW)).toBe("in 3 h");
    // A 7-day link read a moment after it was made still says 7 days.
    expect(formatUntil(at(7 * 86_400_000 - 5_000), NOW)).toBe("in 7 d");
    expect(formatUntil(at(86_400_000 - 60_000), NOW)).toBe("in 1 d");
  });

  it("reads a time already passed as ago", () => {
    expect(formatUntil(at(-90_000), NOW)).toBe("1 min ago");
    expect(formatUntil(new Date(NOW), NOW)).toBe("just now");
  });
});

describe("formatExactUtc", () => {
  it("gives the UTC date and time to the second, from a Date or an ISO string", () => {
    expect(formatExactUtc("2026-11-22T09:05:07.123Z")).toBe("2026-11-22 09:05:07 UTC");
    expect(formatExactUtc(new Date("2026-01-02T03:04:05+02:00"))).toBe("2026-01-02 01:04:05 UTC");
  });
});
