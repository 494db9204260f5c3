/** The PostgreSQL value fixes as pure functions (their effect on real queries: lib/services/db-parity.test.ts). */
import { describe, expect, it } from "vitest";
import { clampIntFilters, hasOutOfRangeInt, INT4_MAX, INT4_MIN, replaceNul } from "./pg-values";

const BIG = 3_000_000_000;

describe("replaceNul", () => {
  it("replaces U+0000 in strings and string arrays, returning untouched values as they are", () => {
    expect(replaceNul("a\u0000b\u0000")).toBe("a\uFFFDb\uFFFD");
    const clean = ["x", 1, null, new Date(0)];
    expect(replaceNul(clean)).toBe(clean);
    const args = ["ok", "n\u0000l", ["in\u0000ner"], 5];
    expect(replaceNul(args)).toEqual(["ok", "n\uFFFDl", ["in\uFFFDner"], 5]);
    expect(args[1]).toBe("n\u0000l"); // the caller's array is not changed
  });
});

describe("clampIntFilters", () => {
  it("returns the same where when every number fits", () => {
    const where = { id: { lt: 5 }, OR: [{ seq: 1 }], createdAt: { gte: new Date(0) } };
    expect(clampIntFilters(where)).toBe(where);
    expect(hasOutOfRangeInt(where)).toBe(false);
  });

  it("rewrites each operator to the filter that selects the same storable rows", () => {
    expect(clampIntFilters({ id: BIG })).toEqual({ id: { in: [] } });
    expect(clampIntFilters({ id: { equals: BIG } })).toEqual({ id: { in: [] } });
    expect(clampIntFilters({ id: { lt: BIG } })).toEqual({ id: { lte: INT4_MAX } });
    expect(clampIntFilters({ id: { lte: BIG, gt: 3 } })).toEqual({ id: { lte: INT4_MAX, gt: 3 } });
    expect(clampIntFilters({ id: { lt: BIG, lte: 10 } })).toEqual({ id: { lte: 10 } });
    expect(clampIntFilters({ id: { gt: BIG } })).toEqual({ id: { in: [] } });
    expect(clampIntFilters({ id: { gte: -BIG } })).toEqual({ id: { gte: INT4_MIN } });
    expect(clampIntFilters({ id: { lt: -BIG } })).toEqual({ id: { in: [] } });
    expect(clampIntFilters({ id: { not: BIG } })).toEqual({ id: { gte: INT4_MIN } });
    expect(clampIntFilters({ id: { in: [1, BIG, 2] } })).toEqual({ id: { in: [1, 2] } });
    expect(clampIntFilters({ id: { notIn: [BIG] } })).toEqual({ id: { notIn: [] } });
  });

  it("walks AND/OR/NOT and relation filters, leaving the rest alone", () => {
    const when = new Date(0);
    expect(
      clampIntFilters({ workspaceId: 1, OR: [{ id: BIG }, { uuid: "u" }], NOT: { id: BIG }, events: { some: { seq: { gt: BIG } } }, createdAt: { gte: when } }),
    ).toEqual({ workspaceId: 1, OR: [{ id: { in: [] } }, { uuid: "u" }], NOT: { id: { in: [] } }, events: { some: { seq: { in: [] } } }, createdAt: { gte: when } });
  });
});
