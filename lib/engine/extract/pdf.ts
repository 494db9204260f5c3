/**
 * PDF through pdf.js (the serverless build that unpdf ships): text page by page, the page count
 * and the document title.
 *
 * Documents are read on reader threads (pdf-worker.mjs), because a PDF can be a decompression
 * bomb: a 1 MB file whose one compressed content stream expands to 1 GB took 15 s and 3.3 GB
 * of memory in the server's own thread, and a 10 MB one would take the process down. The host
 * watches the process's memory while a thread reads, and terminates the thread (freeing all
 * it allocated) once the process has grown by more than the limit, or when the step is
 * cancelled. pdf.js's buffers live outside the JavaScript heap, so the thread's own heap limit
 * alone would not catch them. A thread that finished a document stays for the next one
 * (starting one and loading pdf.js takes about 175 ms); at most MAX_IDLE_READERS wait.
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
/** Reader threads kept waiting for the next document. */
const MAX_IDLE_READERS = 2;
/** A reader's JavaScript heap limit (pdf.js's own objects; its buffers are watched through the process). */
const READER_HEAP_MB = 1024;

/** Where the worker file lives on disk. */
export function pdfWorkerPath(): string {
  return path.join(/*turbopackIgnore: true*/ process.env.FLOWDECK_ROOT ?? process.cwd(), "lib/engine/extract/pdf-worker.mjs");
}

type WorkerMessage = { id: number } & (
  | { type: "page"; done: number; total: number }
  | { type: "done"; pages: string[]; title?: string }
  | { type: "error"; kind: "password" | "invalid" | "open" | "page"; page?: number; message: string }
);

// Idle readers on globalThis: Next.js may load this module in several bundles of one process.
interface IdleReader { worker: WorkerType; onExit: () => void }
const shared = globalThis as unknown as { flowdeckPdfReaders?: { idle: IdleReader[]; nextId: number } };
const readers = (shared.flowdeckPdfReaders ??= { idle: [], nextId: 1 });

/** Reader threads waiting for a document (for tests). */
export function idlePdfReaders(): number {
  return readers.idle.length;
}

function takeReader(): WorkerType {
  const idle = readers.idle.pop();
  if (idle) {
    idle.worker.off("exit", idle.onExit);
    idle.worker.ref();
    return idle.worker;
  }
  const worker = new Worker(pdfWorkerPath(), { env: {}, resourceLimits: { maxOldGenerationSizeMb: READER_HEAP_MB } });
  worker.on("error", () => {}); // reported through the read in progress (its own listener)
  return worker;
}

// Listeners are removed one by one, never with removeAllListeners(): that would also drop the
// Worker's own bookkeeping listeners, after which its messages are no longer delivered.
function putBack(worker: WorkerType): void {
  if (readers.idle.length >= MAX_IDLE_READERS) {
    worker.postMessage({ type: "exit" });
    return;
  }
  const entry: IdleReader = {
    worker,
    onExit: () => {
      const i = readers.idle.indexOf(entry);
      if (i >= 0) readers.idle.splice(i, 1);
    },
  };
  worker.once("exit", entry.onExit);
  worker.unref(); // an idle reader does not keep the process alive
  readers.idle.push(entry);
}

export function readPdf(bytes: Uint8Array, name: string, options: PdfReadOptions = {}): Promise<PdfDocument> {
  const { signal, onPage } = options;
  throwIfAborted(signal);
  const memoryMb = options.memoryMb ?? (Number(process.env.FLOWDECK_PDF_MEMORY_MB) || 1024);
  return new Promise<PdfDocument>((resolve, reject) => {
    const worker = takeReader();
    const id = readers.nextId++;
    const baseline = process.memoryUsage.rss();
    let settled = false;
    /** The reader answered (even with an error): it is fine to read the next document. */
    let answered = false;
    const finish = (error: unknown, doc?: PdfDocument) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      signal?.removeEventListener("abort", onAbort);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      // A reader that answered waits for the next document; one stopped early is terminated.
      if (answered) putBack(worker);
      else void worker.terminate().catch(() => {});
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
    const onMessage = (msg: WorkerMessage) => {
      if (msg.id !== id) return;
      if (msg.type === "page") {
        onPage?.(msg.done, msg.total);
        return;
      }
      answered = true;
      if (msg.type === "done") finish(null, { pages: msg.pages, ...(msg.title ? { title: msg.title } : {}) });
      else finish(explain(msg, name));
    };
    const onError = (error: Error) => {
      const heap = (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      finish(extractError(heap
        ? `'${name}' needs more than ${READER_HEAP_MB} MB of memory to read; it was not read`
        : `'${name}' could not be read as a PDF: ${error.message}`));
    };
    const onExit = () => finish(extractError(`'${name}' could not be read as a PDF: the reader stopped`));
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    // A copy, transferred: the reader takes ownership of what it is given.
    const copy = bytes.slice();
    worker.postMessage({ type: "read", id, bytes: copy }, [copy.buffer]);
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
