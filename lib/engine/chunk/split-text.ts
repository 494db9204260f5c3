/**
 * Splits a text into chunks of at most `size` characters (UTF-16 code units, as `String.length`
 * counts) that end on paragraph or sentence boundaries where they can, with up to `overlap`
 * characters repeated between neighbours. Every chunk is an exact slice of the text.
 *
 * The text is first cut into units (paragraphs, sentences, words, or fixed pieces for a run
 * with no break at all), each at most `size` long and trimmed of white space; chunks are then
 * packed greedily from whole units, and each next chunk starts at the earliest unit that keeps
 * the overlap within `overlap`.
 */
import { clusterBoundaryAtOrAfter, clusterBoundaryAtOrBefore, segmentRange, type Span } from "./segment";

export type ChunkBoundary = "paragraph" | "sentence" | "character";

export interface SplitOptions {
  /** Most characters in one chunk. */
  size: number;
  /** Most characters a chunk shares with the one before it; less than `size`. */
  overlap: number;
  boundary: ChunkBoundary;
  /** Checked as the work goes; the reason is thrown. */
  signal?: AbortSignal;
  /** Stop with a ChunkLimitError past this many chunks. */
  maxChunks?: number;
}

/** The text would make more chunks than `maxChunks`. */
export class ChunkLimitError extends Error {
  constructor(readonly limit: number) {
    super(`the text makes more than ${limit} chunks`);
    this.name = "ChunkLimitError";
  }
}

/** One chunk: `text === source.slice(start, end)`. */
export interface TextChunk {
  index: number;
  text: string;
  start: number;
  end: number;
}

/** Blank lines (white space containing two line breaks) separate paragraphs. */
const PARAGRAPH_BREAK = /\n[^\S\n]*\n\s*/g;

export function splitText(text: string, options: SplitOptions): TextChunk[] {
  const { size, overlap, boundary, signal, maxChunks = Infinity } = options;
  if (!(size >= 1) || !(overlap >= 0) || overlap >= size) throw new RangeError("need size >= 1 and 0 <= overlap < size");
  const spans = boundary === "character" ? characterSpans(text, size, overlap, maxChunks, signal) : pack(units(text, size, boundary, signal), size, overlap, maxChunks, signal);
  return spans.map((s, index) => ({ index, text: text.slice(s.start, s.end), start: s.start, end: s.end }));
}

/** Shrinks a span to its non-white-space content; null when nothing is left. */
function trimSpan(text: string, start: number, end: number): Span | null {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return start < end ? { start, end } : null;
}

function units(text: string, size: number, boundary: "paragraph" | "sentence", signal?: AbortSignal): Span[] {
  const out: Span[] = [];
  const whole = trimSpan(text, 0, text.length);
  if (!whole) return out;
  if (boundary === "sentence") {
    sentenceUnits(text, whole, size, out, signal);
    return out;
  }
  let start = whole.start;
  PARAGRAPH_BREAK.lastIndex = start;
  for (let m = PARAGRAPH_BREAK.exec(text); start < whole.end; m = PARAGRAPH_BREAK.exec(text)) {
    const end = m && m.index < whole.end ? m.index : whole.end;
    const paragraph = trimSpan(text, start, end);
    if (paragraph) {
      if (paragraph.end - paragraph.start <= size) out.push(paragraph);
      else sentenceUnits(text, paragraph, size, out, signal);
    }
    start = m && m.index < whole.end ? PARAGRAPH_BREAK.lastIndex : whole.end;
  }
  return out;
}

function sentenceUnits(text: string, range: Span, size: number, out: Span[], signal?: AbortSignal): void {
  for (const segment of segmentRange(text, range.start, range.end, "sentence", signal)) {
    const sentence = trimSpan(text, segment.start, segment.end);
    if (!sentence) continue;
    if (sentence.end - sentence.start <= size) out.push(sentence);
    else wordUnits(text, sentence, size, out, signal);
  }
}

/**
 * Words of an over-long sentence. Punctuation stays with the word before it; white space ends a
 * unit. Scripts written without spaces (Chinese, Japanese…) split between the words the
 * segmenter finds.
 */
function wordUnits(text: string, range: Span, size: number, out: Span[], signal?: AbortSignal): void {
  let current: Span | null = null;
  const flush = () => {
    if (!current) return;
    if (current.end - current.start <= size) out.push(current);
    else hardUnits(text, current, size, out);
    current = null;
  };
  for (const segment of segmentRange(text, range.start, range.end, "word", signal)) {
    if (!trimSpan(text, segment.start, segment.end)) {
      flush();
    } else if (current && !segment.wordLike && current.end === segment.start) {
      current.end = segment.end; // punctuation joins the word it follows
    } else {
      flush();
      current = { start: segment.start, end: segment.end };
    }
  }
  flush();
}

/** Fixed pieces of at most `size`, cut between grapheme clusters: for runs with no word break. */
function hardUnits(text: string, range: Span, size: number, out: Span[]): void {
  let start = range.start;
  while (start < range.end) {
    const end = start + size >= range.end ? range.end : clusterBoundaryAtOrBefore(text, start + size, start);
    out.push({ start, end });
    start = end;
  }
}

function checkProgress(made: number, maxChunks: number, signal: AbortSignal | undefined): void {
  if (made >= maxChunks) throw new ChunkLimitError(maxChunks);
  if (made % 1024 === 0) signal?.throwIfAborted();
}

/** Greedy packing of units into chunks, with the overlap made of whole units. */
function pack(units: Span[], size: number, overlap: number, maxChunks: number, signal?: AbortSignal): Span[] {
  const chunks: Span[] = [];
  let first = 0;
  while (first < units.length) {
    checkProgress(chunks.length, maxChunks, signal);
    let last = first;
    while (last + 1 < units.length && units[last + 1].end - units[first].start <= size) last++;
    chunks.push({ start: units[first].start, end: units[last].end });
    if (last === units.length - 1) break;
    // Step back from the next new unit while the units still fit in the overlap and leave room for it.
    const end = units[last].end;
    const nextEnd = units[last + 1].end;
    let next = last + 1;
    while (next - 1 > first && units[next - 1].start >= end - overlap && nextEnd - units[next - 1].start <= size) next--;
    first = next;
  }
  return chunks;
}

/** Plain cuts every `size` characters, each next chunk starting `overlap` back (between grapheme clusters). */
function characterSpans(text: string, size: number, overlap: number, maxChunks: number, signal?: AbortSignal): Span[] {
  const whole = trimSpan(text, 0, text.length);
  if (!whole) return [];
  const chunks: Span[] = [];
  let start = whole.start;
  for (;;) {
    checkProgress(chunks.length, maxChunks, signal);
    const end = start + size >= whole.end ? whole.end : clusterBoundaryAtOrBefore(text, start + size, start);
    if (chunks.length > 0 && end <= chunks[chunks.length - 1].end) {
      // Backing off to a cluster boundary brought nothing new: start one cluster later.
      start = clusterBoundaryAtOrAfter(text, start + 1, whole.end);
      continue;
    }
    chunks.push({ start, end });
    if (end >= whole.end) return chunks;
    const back = Math.max(end - overlap, start + 1);
    start = overlap > 0 ? clusterBoundaryAtOrAfter(text, back, end) : end;
  }
}
