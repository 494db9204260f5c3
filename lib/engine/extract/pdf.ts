/**
 * PDF through pdf.js (the serverless build that unpdf ships): text page by page, the page count
 * and the document title.
 *
 * Each document is read on a thread of its own (pdf-worker.mjs), because a PDF can be a
 * decompression bomb: a 1 MB file whose one compressed content stream expands to 1 GB took
 * 15 s and 3.3 GB of memory in the server's own thread, and a 10 MB one would take the
 * process down. Here the host watches the process's memory while the thread reads, and ends
 * the thread (freeing everything it allocated) once it has grown by more than the limit, or
 * when the step is cancelled or times out. pdf.js's buffers live outside the JavaScript heap,
 * so the thread's own heap limit alone would not catch them.
 */
import path from "node:path";
import type { Worker as WorkerType } from "node:worker_threads";
import { extractError, throwIfAborted } from "./errors";

// Loaded at run time, not imported: a bundler would rewrite `new Worker(path)` (see the sandbox pool).
const { Worker } = process.getBuiltinModule("node:worker_threads") as typeof import("node:worker_threads");

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
  /** How much the process may grow while this document is read (MB); default FLOWDECK_PDF_MEMORY_MB or 1024. */
  memoryMb?: number;
}

/** How often the host reads the process's memory while a document is read. */
const MEMORY_CHECK_MS = 25;

/** Where the worker file lives on disk. */
export function pdfWorkerPath(): string {
  return path.join(/*turbopackIgnore: true*/ process.env.FLOWDECK_ROOT ?? process.cwd(), "lib/engine/extract/pdf-worker.mjs");
}

type WorkerMessage =
  | { type: "page"; done: number; total: number }
  | { type: "done"; pages: string[]; title?: string }
  | { type: "error"; kind: "password" | "invalid" | "open" | "page"; page?: number; message: string };

export function readPdf(bytes: Uint8Array, name: string, options: PdfReadOptions = {}): Promise<PdfDocument> {
  const { signal, onPage } = options;
  throwIfAborted(signal);
  const memoryMb = options.memoryMb ?? (Number(process.env.FLOWDECK_PDF_MEMORY_MB) || 1024);
  return new Promise<PdfDocument>((resolve, reject) => {
    // A copy: the worker takes ownership of what it is given.
    const worker: WorkerType = new Worker(pdfWorkerPath(), {
      workerData: { bytes: bytes.slice() },
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    const baseline = process.memoryUsage.rss();
    let settled = false;
    const finish = (error: unknown, doc?: PdfDocument) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      signal?.removeEventListener("abort", onAbort);
      // After an answer the thread ends itself; stopped early, it is terminated.
      if (!doc) void worker.terminate().catch(() => {});
      if (error) reject(error);
      else resolve(doc!);
    };
    const watch = setInterval(() => {
      if (process.memoryUsage.rss() - baseline > memoryMb * 1024 * 1024) {
        finish(extractError(`'${name}' needs more than ${memoryMb} MB of memory to read (a compressed part expands too far); it was not read`));
      }
    }, MEMORY_CHECK_MS);
    const onAbort = () => {
      try {
        throwIfAborted(signal);
      } catch (error) {
        finish(error);
      }
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (msg: WorkerMessage) => {
      if (msg.type === "page") onPage?.(msg.done, msg.total);
      else if (msg.type === "done") finish(null, { pages: msg.pages, ...(msg.title ? { title: msg.title } : {}) });
      else finish(explain(msg, name));
    });
    worker.on("error", (error) => {
      const heap = (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      finish(extractError(heap
        ? `'${name}' needs more than ${memoryMb} MB of memory to read; it was not read`
        : `'${name}' could not be read as a PDF: ${error.message}`));
    });
    worker.on("exit", () => finish(extractError(`'${name}' could not be read as a PDF: the reader stopped`)));
  });
}

function explain(msg: Extract<WorkerMessage, { type: "error" }>, name: string) {
  switch (msg.kind) {
    case "password":
      return extractError(`'${name}' is an encrypted PDF that needs a password; remove the password and upload it again`);
    case "invalid":
      return extractError(`'${name}' is not a valid PDF (the file is damaged or not a PDF at all)`);
    case "page":
      return extractError(`Page ${msg.page} of '${name}' could not be read: ${msg.message}`);
    default:
      return extractError(`'${name}' could not be read as a PDF: ${msg.message}`);
  }
}
