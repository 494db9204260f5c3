/**
 * Intl.Segmenter over ranges of a long text. V8 slows down badly (worse than linear) when it
 * segments one long string, so ranges are segmented a window at a time; only boundaries well
 * inside a window are kept, so the look-ahead the Unicode rules need is always there.
 */

/** A range of the text: `text.slice(start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** Characters per window handed to the segmenter. */
const WINDOW = 4096;
/** Boundaries closer than this to a window's cut are decided again in the next window. */
const MARGIN = 64;
/** A window grows up to this when a single segment fills it. */
const MAX_WINDOW = 65_536;

const segmenters = {
  sentence: new Intl.Segmenter(undefined, { granularity: "sentence" }),
  word: new Intl.Segmenter(undefined, { granularity: "word" }),
  grapheme: new Intl.Segmenter(undefined, { granularity: "grapheme" }),
};

/**
 * The sentence or word segments of `text[from, to)`, in order, covering the range. A segment longer
 * than MAX_WINDOW (no boundary found in it) is cut at the window's last white space.
 */
export function* segmentRange(text: string, from: number, to: number, granularity: "sentence" | "word", signal?: AbortSignal): Generator<Span & { wordLike: boolean }> {
  const segmenter = segmenters[granularity];
  let pos = from;
  let window = WINDOW;
  while (pos < to) {
    signal?.throwIfAborted();
    const end = Math.min(pos + window, to);
    const last = end === to;
    const found: (Span & { wordLike: boolean })[] = [];
    for (const s of segmenter.segment(text.slice(pos, end))) {
      const start = pos + s.index;
      const segmentEnd = start + s.segment.length;
      if (!last && segmentEnd > end - MARGIN) break;
      found.push({ start, end: segmentEnd, wordLike: s.isWordLike ?? false });
    }
    if (found.length > 0) {
      yield* found;
      pos = found[found.length - 1].end;
      window = WINDOW;
    } else if (window < MAX_WINDOW) {
      window *= 2;
    } else {
      // No boundary in a very long run: cut it at white space (or a safe character) and go on.
      const cut = lastSpaceBefore(text, pos, end) ?? safeCut(text, end, pos);
      yield { start: pos, end: cut, wordLike: true };
      pos = cut;
    }
  }
}

function lastSpaceBefore(text: string, from: number, to: number): number | null {
  for (let i = to - 1; i > from; i--) if (/\s/.test(text[i])) return i + 1;
  return null;
}

/** `pos`, moved back one if it would split a surrogate pair (never to `min` or below). */
function safeCut(text: string, pos: number, min: number): number {
  const code = text.charCodeAt(pos);
  return code >= 0xdc00 && code <= 0xdfff && pos - 1 > min ? pos - 1 : pos;
}

/** How far around a position grapheme clusters are looked for. */
const CLUSTER_REACH = 64;

/**
 * Between two ASCII characters there is always a cluster boundary, except inside CR LF: a quick
 * answer that spares the segmenter (which costs far more) for most text.
 */
function isAsciiBoundary(text: string, pos: number): boolean {
  const before = text.charCodeAt(pos - 1);
  const after = text.charCodeAt(pos);
  return before < 0x80 && after < 0x80 && !(before === 13 && after === 10);
}

/**
 * The last grapheme-cluster boundary at or before `pos` and after `min` (so an emoji, a flag or a
 * letter with its accents is never cut); falls back to not splitting a surrogate pair.
 */
export function clusterBoundaryAtOrBefore(text: string, pos: number, min: number): number {
  if (pos >= text.length) return text.length;
  if (pos > min && isAsciiBoundary(text, pos)) return pos;
  const from = Math.max(min, pos - CLUSTER_REACH);
  let best = -1;
  for (const s of segmenters.grapheme.segment(text.slice(from, Math.min(text.length, pos + CLUSTER_REACH)))) {
    const at = from + s.index;
    if (at > pos) break;
    if (at > min) best = at;
  }
  return best > min ? best : safeCut(text, pos, min);
}

/** The first grapheme-cluster boundary at or after `pos` and no later than `max`. */
export function clusterBoundaryAtOrAfter(text: string, pos: number, max: number): number {
  if (pos > 0 && pos <= max && isAsciiBoundary(text, pos)) return pos;
  const from = Math.max(0, pos - CLUSTER_REACH);
  for (const s of segmenters.grapheme.segment(text.slice(from, Math.min(max, pos + CLUSTER_REACH)))) {
    const at = from + s.index;
    if (at >= pos) return at;
  }
  const code = text.charCodeAt(pos);
  return code >= 0xdc00 && code <= 0xdfff && pos + 1 <= max ? pos + 1 : Math.min(pos, max);
}
