/** Bytes to text (strict about encodings), and the counts the extract step reports. */
import { extractError } from "./errors";

/** How much of the start of a file is checked for NUL bytes. */
const SNIFF_BYTES = 8192;

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/**
 * Decodes a text file. A byte-order mark picks UTF-8 or UTF-16; otherwise the text must be valid
 * UTF-8, unless the caller knows a declared charset (an HTML `<meta charset>`). NUL bytes in a
 * file without a UTF-16 mark mean it is binary.
 */
export function decodeText(bytes: Uint8Array, name: string, declaredCharset?: string): string {
  if (startsWith(bytes, [0xff, 0xfe])) return new TextDecoder("utf-16le").decode(bytes);
  if (startsWith(bytes, [0xfe, 0xff])) return new TextDecoder("utf-16be").decode(bytes);
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) {
    throw extractError(`'${name}' looks like a binary file, not text, PDF, DOCX, HTML or CSV`);
  }
  const hasUtf8Bom = startsWith(bytes, [0xef, 0xbb, 0xbf]);
  const charset = declaredCharset?.toLowerCase();
  if (!hasUtf8Bom && charset && charset !== "utf-8" && charset !== "utf8") {
    const decoder = decoderFor(charset);
    if (decoder) return decoder.decode(bytes);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw extractError(`'${name}' is not valid UTF-8 text; save it as UTF-8 and try again`);
  }
}

function decoderFor(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null; // an unknown label: fall back to strict UTF-8
  }
}

/** Lines in a text; a final line break does not start another line. */
export function countLines(text: string): number {
  if (text === "") return 0;
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lines++;
  }
  const last = text.charCodeAt(text.length - 1);
  return last === 10 || last === 13 ? lines - 1 : lines;
}

/** Unicode code points in a text (an emoji made of a surrogate pair counts once). */
export function countCharacters(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) surrogatePairs++;
  }
  return text.length - surrogatePairs;
}
