import { describe, expect, it } from "vitest";
import { diffLines, diffStats, foldDiff, MAX_DIFF_CELLS, splitLines, type DiffLine } from "./line-diff";

/** A diff written the way `diff -u` shows it: " x", "-x", "+x". */
const show = (lines: DiffLine[]) => lines.map((l) => `${l.type === "same" ? " " : l.type === "add" ? "+" : "-"}${l.text}`);

/** Rebuilds both sides from a diff: every diff must give back exactly its two texts. */
function sides(lines: DiffLine[]) {
  return {
    before: lines.filter((l) => l.type !== "add").map((l) => l.text),
    after: lines.filter((l) => l.type !== "del").map((l) => l.text),
  };
}

describe("splitLines", () => {
  it("does not count a final newline as a line, and reads CRLF", () => {
    expect(splitLines("")).toEqual([]);
    expect(splitLines("a\nb\n")).toEqual(["a", "b"]);
    expect(splitLines("a\r\nb")).toEqual(["a", "b"]);
    expect(splitLines("\n")).toEqual([""]);
  });
});

describe("diffLines", () => {
  it("marks identical texts as unchanged, numbering both sides", () => {
    const lines = diffLines("a\nb\n", "a\nb\n");
    expect(show(lines)).toEqual([" a", " b"]);
    expect(lines.map((l) => [l.oldLine, l.newLine])).toEqual([[1, 1], [2, 2]]);
    expect(diffStats(lines)).toEqual({ added: 0, removed: 0 });
  });

  it("shows one changed line as removed then added, between unchanged lines", () => {
    const lines = diffLines("steps:\n  template: Hello\nend\n", "steps:\n  template: Hello!\nend\n");
    expect(show(lines)).toEqual([" steps:", "-  template: Hello", "+  template: Hello!", " end"]);
    expect(lines[1]).toMatchObject({ oldLine: 2, newLine: null });
    expect(lines[2]).toMatchObject({ oldLine: null, newLine: 2 });
    expect(lines[3]).toMatchObject({ oldLine: 3, newLine: 3 });
    expect(diffStats(lines)).toEqual({ added: 1, removed: 1 });
  });

  it("finds the longest common run inside the changed middle", () => {
    const before = "a\nb\nc\nd\ne\nf";
    const after = "a\nx\nc\nd\ny\nf\ng";
    const lines = diffLines(before, after);
    expect(show(lines)).toEqual([" a", "-b", "+x", " c", " d", "-e", "+y", " f", "+g"]);
    expect(sides(lines)).toEqual({ before: splitLines(before), after: splitLines(after) });
  });

  it("handles empty sides", () => {
    expect(show(diffLines("", "a\nb"))).toEqual(["+a", "+b"]);
    expect(show(diffLines("a\nb", ""))).toEqual(["-a", "-b"]);
    expect(diffLines("", "")).toEqual([]);
  });

  it("keeps moved lines as a removal and an addition, and repeated lines in order", () => {
    const lines = diffLines("x\ny\nx\ny", "y\nx\ny\nx");
    expect(sides(lines)).toEqual({ before: ["x", "y", "x", "y"], after: ["y", "x", "y", "x"] });
    expect(lines.filter((l) => l.type === "same")).toHaveLength(3);
  });

  it("always rebuilds both texts from random edits", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: rand(15) }, () => "abcde"[rand(5)]);
      const b = a.filter(() => rand(4) > 0).flatMap((l) => (rand(5) === 0 ? [l, "fgh"[rand(3)]] : [l]));
      const lines = diffLines(a.join("\n"), b.join("\n"));
      expect(sides(lines)).toEqual({ before: a, after: b });
      // An LCS diff never removes and re-adds a line it could have kept: b is a's lines
      // minus some plus insertions, so every line b kept from a is unchanged.
      expect(diffStats(lines).removed).toBe(a.length - lines.filter((l) => l.type === "same").length);
    }
  });

  it("past the size limit shows the middle as removed then added, still exact", () => {
    const size = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 10;
    const a = ["head", ...Array.from({ length: size }, (_, i) => `old ${i}`), "tail"];
    const b = ["head", ...Array.from({ length: size }, (_, i) => `new ${i}`), "tail"];
    const lines = diffLines(a.join("\n"), b.join("\n"));
    expect(diffStats(lines)).toEqual({ added: size, removed: size });
    expect(lines[0]).toMatchObject({ type: "same", text: "head" });
    expect(lines.at(-1)).toMatchObject({ type: "same", text: "tail", oldLine: size + 2, newLine: size + 2 });
    expect(sides(lines)).toEqual({ before: a, after: b });
  });
});

describe("foldDiff", () => {
  it("keeps context around changes and folds long unchanged runs", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = [...before];
    after[9] = "line 10 changed";
    const blocks = foldDiff(diffLines(before.join("\n"), after.join("\n")), 2);
    expect(blocks.map((b) => [b.kind, b.lines.length])).toEqual([["folded", 7], ["lines", 6], ["folded", 8]]);
    const shown = blocks[1].lines;
    expect(shown[0]).toMatchObject({ text: "line 8", oldLine: 8 });
    expect(show(shown).slice(2, 4)).toEqual(["-line 10", "+line 10 changed"]);
  });

  it("shows everything as one block when nothing is far from a change, and folds all when nothing changed", () => {
    expect(foldDiff(diffLines("a\nb", "a\nc"), 3).map((b) => b.kind)).toEqual(["lines"]);
    expect(foldDiff(diffLines("a\nb", "a\nb"), 3).map((b) => b.kind)).toEqual(["folded"]);
  });
});
