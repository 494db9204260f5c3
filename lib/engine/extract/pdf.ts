/**
 * PDF through pdf.js (the serverless build that unpdf ships): text page by page, the page count
 * and the document title. Checks the abort signal between pages.
 */
import { getResolvedPDFJS } from "unpdf";
import { extractError, messageOf, throwIfAborted } from "./errors";

/** What the PDF reader returns. */
export interface PdfDocument {
  /** Text of each page, in order (empty for a page without a text layer). */
  pages: string[];
  title?: string;
}

export interface PdfReadOptions {
  signal?: AbortSignal;
  /** Called after each page with the number of pages read and the total. */
  onPage?(done: number, total: number): void;
}

type LoadingTask = Awaited<ReturnType<typeof getResolvedPDFJS>> extends { getDocument(...args: never[]): infer T } ? T : never;
type PdfProxy = Awaited<LoadingTask extends { promise: infer P } ? P : never>;

export async function readPdf(bytes: Uint8Array, name: string, options: PdfReadOptions = {}): Promise<PdfDocument> {
  const { signal, onPage } = options;
  throwIfAborted(signal);
  const pdf = await openPdf(bytes, name, signal);
  try {
    const title = await pdfTitle(pdf);
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      throwIfAborted(signal);
      pages.push(await pageText(pdf, n, name));
      onPage?.(n, pdf.numPages);
    }
    throwIfAborted(signal);
    return { pages, ...(title ? { title } : {}) };
  } finally {
    await pdf.destroy().catch(() => {});
  }
}

async function openPdf(bytes: Uint8Array, name: string, signal: AbortSignal | undefined): Promise<PdfProxy> {
  const { getDocument } = await getResolvedPDFJS();
  const task = getDocument({
    // pdf.js may take ownership of (detach) the buffer it is given: hand it a copy.
    data: bytes.slice(),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  });
  const onAbort = () => void task.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await task.promise;
  } catch (error) {
    throwIfAborted(signal);
    throw explainOpenError(error, name);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

function explainOpenError(error: unknown, name: string) {
  const kind = error instanceof Error ? error.name : "";
  if (kind === "PasswordException") {
    return extractError(`'${name}' is an encrypted PDF that needs a password; remove the password and upload it again`);
  }
  if (kind === "InvalidPDFException") {
    return extractError(`'${name}' is not a valid PDF (the file is damaged or not a PDF at all)`);
  }
  return extractError(`'${name}' could not be read as a PDF: ${messageOf(error)}`);
}

async function pdfTitle(pdf: PdfProxy): Promise<string | undefined> {
  try {
    const { info, metadata } = await pdf.getMetadata();
    const fromInfo = (info as { Title?: unknown } | undefined)?.Title;
    const title = typeof fromInfo === "string" && fromInfo.trim() ? fromInfo : metadata?.get("dc:title");
    return typeof title === "string" && title.trim() ? title.replace(/\s+/g, " ").trim() : undefined;
  } catch {
    return undefined; // broken metadata does not stop the text
  }
}

async function pageText(pdf: PdfProxy, n: number, name: string): Promise<string> {
  try {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    page.cleanup();
    let text = "";
    for (const item of content.items) {
      if ("str" in item) text += item.str + (item.hasEOL ? "\n" : "");
    }
    return tidyPageText(text);
  } catch (error) {
    throw extractError(`Page ${n} of '${name}' could not be read: ${messageOf(error)}`);
  }
}

/** One space for runs of spaces, no spaces at line ends, at most one blank line. */
function tidyPageText(text: string): string {
  return text
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
