/**
 * Which reader a file needs: first by its content (magic bytes), then by its name and MIME type,
 * then by a look at the start of the text.
 */

/** The formats the extract step reads. */
export const DOCUMENT_FORMATS = ["text", "csv", "pdf", "docx", "html", "markdown"] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** A detected format, or a description of a file no reader takes (for the error message). */
export type Detection = { format: DocumentFormat } | { unsupported: string };

/** The part of a file reference detection looks at. */
export interface FileHints {
  name: string;
  mime_type: string;
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** Well-known binary formats that no reader takes, so the error can name them. */
const OTHER_MAGIC: { bytes: number[]; what: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: "a PNG image" },
  { bytes: [0xff, 0xd8, 0xff], what: "a JPEG image" },
  { bytes: ascii("GIF8"), what: "a GIF image" },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: "a legacy Office file (.doc/.xls); save it as .docx" },
  { bytes: [0x1f, 0x8b], what: "a gzip archive" },
  { bytes: ascii("Rar!"), what: "a RAR archive" },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: "a 7-Zip archive" },
];

const PDF_MAGIC = ascii("%PDF-");
/** PDF allows junk before the header; readers look this far. */
const PDF_HEADER_WINDOW = 1024;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];
/** The main part of a Word document; ZIP entry names are stored uncompressed in the archive. */
const DOCX_MAIN_PART = ascii("word/document.xml");

const MIME_FORMATS: Record<string, DocumentFormat> = {
  "application/pdf": "pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "text/markdown": "markdown",
  "text/x-markdown": "markdown",
  "text/csv": "csv",
  "application/csv": "csv",
  "text/comma-separated-values": "csv",
};

const EXTENSION_FORMATS: Record<string, DocumentFormat> = {
  pdf: "pdf",
  docx: "docx",
  html: "html",
  htm: "html",
  xhtml: "html",
  md: "markdown",
  markdown: "markdown",
  csv: "csv",
};

/** Where `needle` first occurs in `haystack`, looking only at matches that start before `limit`; -1 if nowhere. */
export function indexOfBytes(haystack: Uint8Array, needle: number[], limit = haystack.length): number {
  const end = Math.min(haystack.byteLength, limit + needle.length - 1);
  return Buffer.from(haystack.buffer, haystack.byteOffset, end).indexOf(Uint8Array.from(needle));
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** Whether the bytes carry a PDF header. */
export function looksLikePdf(bytes: Uint8Array): boolean {
  return indexOfBytes(bytes, PDF_MAGIC, PDF_HEADER_WINDOW) >= 0;
}

/** Whether the bytes are a ZIP archive. */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, ZIP_MAGIC) || startsWith(bytes, EMPTY_ZIP_MAGIC);
}

/** Whether a ZIP archive has a Word main document part. */
export function zipHasDocxPart(bytes: Uint8Array): boolean {
  return indexOfBytes(bytes, DOCX_MAIN_PART) >= 0;
}

/** The format the name and MIME type suggest, if any. */
export function formatFromHints(file: FileHints): DocumentFormat | null {
  const mime = file.mime_type.toLowerCase().split(";")[0].trim();
  if (Object.hasOwn(MIME_FORMATS, mime)) return MIME_FORMATS[mime];
  const dot = file.name.lastIndexOf(".");
  const ext = dot >= 0 ? file.name.slice(dot + 1).toLowerCase() : "";
  return Object.hasOwn(EXTENSION_FORMATS, ext) ? EXTENSION_FORMATS[ext] : null;
}

/** Whether a text starts like an HTML document (after a BOM, white space and comments). */
function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder("utf-8").decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, "");
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(head);
}

/** Picks a reader for a file (used when the step's `format` is `auto`). */
export function detectFormat(bytes: Uint8Array, file: FileHints): Detection {
  if (looksLikePdf(bytes)) return { format: "pdf" };
  if (looksLikeZip(bytes)) {
    return zipHasDocxPart(bytes)
      ? { format: "docx" }
      : { unsupported: "a ZIP archive without a Word document inside (no word/document.xml)" };
  }
  const known = OTHER_MAGIC.find((m) => startsWith(bytes, m.bytes));
  if (known) return { unsupported: known.what };
  const hinted = formatFromHints(file);
  if (hinted) return { format: hinted };
  if (looksLikeHtml(bytes)) return { format: "html" };
  return { format: "text" };
}
