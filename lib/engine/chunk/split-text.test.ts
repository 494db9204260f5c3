import { describe, expect, it } from "vitest";
import { splitText, ChunkLimitError, type ChunkBoundary, type TextChunk } from "./split-text";

/** Small seeded generator, so a failing case can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["the", "workflow", "runs", "each", "step", "in", "order", "and", "stores", "events", "quickly", "a", "file", "upload", "token", "stream", "(beta)", "is", "ready", "for", "review", "naïve", "café", "über", "résumé", "🚀", "👍🏽", "e.g.", "v2.0"];
const CJK = ["数学は楽しい。", "これはテストです。", "今日は晴れです。", "我们喜欢写代码。"];

/** Paragraphs of sentences, with the odd long sentence, long token, CJK run and stray white space. */
function generateText(seed: number, paragraphs: number): string {
  const rnd = random(seed);
  const pick = <T,>(list: T[]) => list[Math.floor(rnd() * list.length)];
  const sentence = () => {
    const roll = rnd();
    if (roll < 0.05) return Array.from({ length: 150 }, () => pick(WORDS)).join(" ") + "."; // longer than small sizes
    if (roll < 0.08) return "x".repeat(120 + Math.floor(rnd() * 200)) + "."; // no break at all
    if (roll < 0.18) return Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(CJK)).join("");
    const words = Array.from({ length: 3 + Math.floor(rnd() * 25) }, () => pick(WORDS));
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    return words.join(" ") + pick([".", ".", ".", "!", "?"]);
  };
  const parts: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const sentences = Array.from({ length: 1 + Math.floor(rnd() * 6) }, sentence);
    parts.push(sentences.join(rnd() < 0.2 ? "\n" : " "));
  }
  return (rnd() < 0.5 ? "  \n" : "") + parts.join(pick(["\n\n", "\n\n\n", "\r\n\r\n", "\n  \n"])) + (rnd() < 0.5 ? "\n" : "");
}

const isBlank = (s: string) => /^\s*$/.test(s);
const isLowSurrogate = (text: string, i: number) => /[\udc00-\udfff]/.test(text[i] ?? "");

/** The invariants every split must keep, whatever the text and options: the first broken one, or null. */
function brokenInvariant(text: string, chunks: TextChunk[], size: number, overlap: number): string | null {
  if (isBlank(text)) return chunks.length === 0 ? null : "chunks of a blank text";
  if (chunks.length === 0) return "no chunks";
  if (!isBlank(text.slice(0, chunks[0].start))) return "text before the first chunk";
  if (!isBlank(text.slice(chunks[chunks.length - 1].end))) return "text after the last chunk";
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    const where = `chunk ${i} [${chunk.start}, ${chunk.end})`;
    if (chunk.index !== i) return `${where}: index ${chunk.index}`;
    if (chunk.text !== text.slice(chunk.start, chunk.end)) return `${where}: text is not the slice`;
    if (chunk.text.length === 0) return `${where}: empty`;
    if (chunk.text.length > size) return `${where}: ${chunk.text.length} > size ${size}`;
    if (isLowSurrogate(text, chunk.start) || isLowSurrogate(text, chunk.end)) return `${where}: splits a surrogate pair`;
    if (i === 0) continue;
    const prev = chunks[i - 1];
    if (chunk.start <= prev.start || chunk.end <= prev.end) return `${where}: not after chunk ${i - 1} [${prev.start}, ${prev.end})`;
    if (chunk.start < prev.end && prev.end - chunk.start > overlap) return `${where}: overlaps by ${prev.end - chunk.start} > ${overlap}`;
    if (chunk.start > prev.end && !isBlank(text.slice(prev.end, chunk.start))) return `${where}: leaves out text after chunk ${i - 1}`;
  }
  return null;
}

function checkInvariants(text: string, chunks: TextChunk[], size: number, overlap: number): void {
  expect(brokenInvariant(text, chunks, size, overlap)).toBeNull();
}

/** Where trimmed sentences start and end, by Intl.Segmenter over the whole (small) text. */
function sentenceBounds(text: string): { starts: Set<number>; ends: Set<number>; longest: number } {
  const starts = new Set<number>();
  const ends = new Set<number>();
  let longest = 0;
  for (const s of new Intl.Segmenter(undefined, { granularity: "sentence" }).segment(text)) {
    const lead = s.segment.length - s.segment.trimStart().length;
    const body = s.segment.trim();
    if (!body) continue;
    starts.add(s.index + lead);
    ends.add(s.index + lead + body.length);
    longest = Math.max(longest, body.length);
  }
  return { starts, ends, longest };
}

const SEEDS = [1, 2, 3, 7, 42, 1234];
const SETTINGS: { size: number; overlap: number }[] = [
  { size: 50, overlap: 0 },
  { size: 80, overlap: 20 },
  { size: 200, overlap: 199 },
  { size: 500, overlap: 100 },
  { size: 1000, overlap: 100 },
];

describe("splitText: properties over generated texts", () => {
  for (const boundary of ["sentence", "paragraph", "character"] as ChunkBoundary[]) {
    it(`keeps the invariants (${boundary})`, () => {
      for (const seed of SEEDS) {
        const text = generateText(seed, 25);
        for (const { size, overlap } of SETTINGS) {
          const chunks = splitText(text, { size, overlap, boundary });
          expect(brokenInvariant(text, chunks, size, overlap), `seed ${seed}, size ${size}, overlap ${overlap}`).toBeNull();
        }
      }
    });
  }

  it("ends and starts chunks on sentence boundaries, and fills them, when sentences fit", () => {
    for (const seed of SEEDS) {
      const text = generateText(seed, 25);
      const { starts, ends, longest } = sentenceBounds(text);
      for (const { size, overlap } of SETTINGS.filter((s) => s.size >= longest)) {
        const chunks = splitText(text, { size, overlap, boundary: "sentence" });
        const sortedEnds = [...ends].sort((a, b) => a - b);
        for (const chunk of chunks) {
          expect(ends.has(chunk.end)).toBe(true);
          expect(starts.has(chunk.start)).toBe(true);
          // Greedy: the next sentence would not have fitted.
          const nextEnd = sortedEnds.find((e) => e > chunk.end);
          if (nextEnd !== undefined) expect(nextEnd - chunk.start).toBeGreaterThan(size);
        }
      }
    }
  });

  it("only falls back to word and character cuts inside sentences longer than size", () => {
    for (const seed of SEEDS) {
      const text = generateText(seed, 25);
      const { ends } = sentenceBounds(text);
      const chunks = splitText(text, { size: 80, overlap: 20, boundary: "sentence" });
      const sentences = [...new Intl.Segmenter(undefined, { granularity: "sentence" }).segment(text)];
      for (const chunk of chunks) {
        if (ends.has(chunk.end)) continue;
        // The sentence that holds this chunk's end is longer than the size.
        const holder = sentences.find((s) => s.index < chunk.end && s.index + s.segment.length >= chunk.end);
        expect(holder!.segment.trim().length).toBeGreaterThan(80);
      }
    }
  });

  it("keeps paragraphs whole when they fit", () => {
    const paragraphs = ["First paragraph. It has two sentences.", "Second one is here.", "Third paragraph, a bit longer than the others, ends here."];
    const text = paragraphs.join("\n\n");
    const chunks = splitText(text, { size: 70, overlap: 0, boundary: "paragraph" });
    expect(chunks.map((c) => c.text)).toEqual([`${paragraphs[0]}\n\n${paragraphs[1]}`, paragraphs[2]]);
    // With room to overlap, the second chunk repeats the whole paragraph before it.
    const overlapping = splitText(text, { size: 90, overlap: 25, boundary: "paragraph" });
    expect(overlapping.map((c) => c.text)).toEqual([`${paragraphs[0]}\n\n${paragraphs[1]}`, `${paragraphs[1]}\n\n${paragraphs[2]}`]);
  });

  it("overlaps by exactly `overlap` characters in character mode", () => {
    const text = "abcdefghij".repeat(50);
    const chunks = splitText(text, { size: 60, overlap: 15, boundary: "character" });
    checkInvariants(text, chunks, 60, 15);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i - 1].end - chunks[i].start).toBe(15);
    expect(chunks.slice(0, -1).every((c) => c.text.length === 60)).toBe(true);
  });
});

describe("splitText: edge cases", () => {
  it("returns no chunks for empty or blank text", () => {
    expect(splitText("", { size: 100, overlap: 10, boundary: "sentence" })).toEqual([]);
    for (const boundary of ["sentence", "paragraph", "character"] as ChunkBoundary[]) {
      expect(splitText(" \n\t \n ", { size: 100, overlap: 10, boundary })).toEqual([]);
    }
  });

  it("keeps a short text as one chunk without its surrounding white space", () => {
    expect(splitText("\n  One sentence only.  \n", { size: 100, overlap: 10, boundary: "sentence" })).toEqual([
      { index: 0, text: "One sentence only.", start: 3, end: 21 },
    ]);
  });

  it("never cuts an emoji cluster", () => {
    const emoji = "👍🏽"; // 4 code units, one grapheme
    const family = "👨‍👩‍👧"; // 8 code units joined with ZWJ
    const text = `${emoji.repeat(40)}${family.repeat(20)}`;
    for (const boundary of ["sentence", "character"] as ChunkBoundary[]) {
      const chunks = splitText(text, { size: 50, overlap: 10, boundary });
      checkInvariants(text, chunks, 50, 10);
      const clusterStarts = new Set([...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)].map((s) => s.index));
      clusterStarts.add(text.length);
      for (const chunk of chunks) {
        expect(clusterStarts.has(chunk.start)).toBe(true);
        expect(clusterStarts.has(chunk.end)).toBe(true);
      }
    }
  });

  it("splits CJK text at sentence ends, and a long CJK sentence between words", () => {
    const sentences = "数学は楽しい。これはテストです。今日は晴れです。".repeat(10);
    const chunks = splitText(sentences, { size: 50, overlap: 10, boundary: "sentence" });
    checkInvariants(sentences, chunks, 50, 10);
    expect(chunks.every((c) => c.text.endsWith("。"))).toBe(true);

    const run = "私は東京で数学を勉強しています".repeat(12); // one sentence, no spaces, 180 characters
    const runChunks = splitText(run, { size: 50, overlap: 0, boundary: "sentence" });
    checkInvariants(run, runChunks, 50, 0);
    const wordStarts = new Set([...new Intl.Segmenter(undefined, { granularity: "word" }).segment(run)].map((s) => s.index));
    expect(runChunks.length).toBeGreaterThan(3);
    for (const chunk of runChunks.slice(1)) expect(wordStarts.has(chunk.start)).toBe(true);
  });

  it("splits a sentence longer than size by words", () => {
    const text = `Short one. ${Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ")} end. Tail sentence.`;
    const chunks = splitText(text, { size: 60, overlap: 0, boundary: "sentence" });
    checkInvariants(text, chunks, 60, 0);
    for (const chunk of chunks) expect(chunk.text).toMatch(/^\S.*\S$|^\S$/s);
    expect(chunks.every((c) => /(^|\s)word\d+$|\.$/.test(c.text))).toBe(true); // no word is cut
  });

  it("stops at maxChunks and when the signal aborts", () => {
    const text = "Sentence number one. ".repeat(500);
    expect(() => splitText(text, { size: 50, overlap: 0, boundary: "sentence", maxChunks: 10 })).toThrow(ChunkLimitError);
    const controller = new AbortController();
    controller.abort(new Error("stop now"));
    expect(() => splitText(text, { size: 50, overlap: 0, boundary: "sentence", signal: controller.signal })).toThrow("stop now");
  });
});

describe("splitText: speed", () => {
  const megabyte = generateText(99, 4000).slice(0, 1_000_000).padEnd(1_000_000, " lorem ipsum.");

  for (const boundary of ["sentence", "paragraph", "character"] as ChunkBoundary[]) {
    it(`splits 1 MB of text in under a second (${boundary})`, () => {
      const started = performance.now();
      const chunks = splitText(megabyte, { size: 1000, overlap: 100, boundary });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(1000);
      expect(chunks.length).toBeGreaterThan(1000);
      expect(chunks.every((c) => c.text.length <= 1000)).toBe(true);
    });
  }

  it("stays fast on 1 MB with no sentence or word break at all", () => {
    const started = performance.now();
    const chunks = splitText("x".repeat(1_000_000), { size: 1000, overlap: 100, boundary: "sentence" });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(chunks.length).toBeGreaterThanOrEqual(1000);
    expect(chunks.length).toBeLessThan(1050); // cut into 1000s, plus a shorter piece where each 64K scan window ends
    expect(chunks.every((c) => c.text.length <= 1000)).toBe(true);
  });
});
