/**
 * A line diff of two texts: the longest common subsequence of their lines, after cutting
 * off the lines both share at the start and the end. Past a size limit the middle is shown
 * as removed-then-added instead of searched, so a huge change cannot stall a request.
 */

export type DiffLineType = "same" | "add" | "del";

export interface DiffLine {
  type: DiffLineType;
  text: string;
  /** 1-based line in the old text (null for an added line). */
  oldLine: number | null;
  /** 1-based line in the new text (null for a removed line). */
  newLine: number | null;
}

/** Largest (old lines × new lines) of the changed middle searched for common lines. */
export const MAX_DIFF_CELLS = 4_000_000;

/** Splits text into lines; a final newline does not start another line. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The lines of `before` and `after`, each marked same, removed or added, in reading order. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }

  const out: DiffLine[] = [];
  const same = (i: number, j: number) => out.push({ type: "same", text: a[i], oldLine: i + 1, newLine: j + 1 });
  const del = (i: number) => out.push({ type: "del", text: a[i], oldLine: i + 1, newLine: null });
  const add = (j: number) => out.push({ type: "add", text: b[j], oldLine: null, newLine: j + 1 });

  for (let k = 0; k < start; k++) same(k, k);

  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_DIFF_CELLS) {
    for (let i = start; i < endA; i++) del(i);
    for (let j = start; j < endB; j++) add(j);
  } else if (n > 0 || m > 0) {
    // lcs[i * (m + 1) + j]: length of the common subsequence of a[start+i..] and b[start+j..].
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] = a[start + i] === b[start + j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[start + i] === b[start + j]) {
        same(start + i++, start + j++);
      } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
        del(start + i++); // removals come before additions within a change
      } else {
        add(start + j++);
      }
    }
    while (i < n) del(start + i++);
    while (j < m) add(start + j++);
  }

  for (let k = 0; k < a.length - endA; k++) same(endA + k, endB + k);
  return out;
}

/** A run of lines to show, or a run of unchanged lines folded away. */
export type DiffBlock = { kind: "lines"; lines: DiffLine[] } | { kind: "folded"; lines: DiffLine[] };

/**
 * Groups a diff for display: changes with `context` unchanged lines around them; longer
 * unchanged runs fold (their lines are kept so a reader can unfold them).
 */
export function foldDiff(lines: DiffLine[], context = 3): DiffBlock[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((line, i) => {
    if (line.type === "same") return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const blocks: DiffBlock[] = [];
  for (let i = 0; i < lines.length; ) {
    const kind = keep[i] ? "lines" : "folded";
    let end = i;
    while (end < lines.length && keep[end] === keep[i]) end++;
    blocks.push({ kind, lines: lines.slice(i, end) });
    i = end;
  }
  return blocks;
}

/** How many lines were added and removed. */
export function diffStats(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.type === "add") added++;
    else if (line.type === "del") removed++;
  }
  return { added, removed };
}
