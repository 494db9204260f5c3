/**
 * Extract step: reads one file (PDF, DOCX, HTML, CSV, Markdown or plain text) into plain text and
 * Markdown, plus rows for CSV and the page count for PDF. The readers live in ../extract/; this
 * module picks one, runs it and shapes the output.
 */
import { z } from "zod";
import { CsvError, csvToRows } from "../csv";
import { detectFormat, type DocumentFormat } from "../extract/detect";
import { readDocx } from "../extract/docx";
import { extractError, messageOf } from "../extract/errors";
import { readHtml } from "../extract/html";
import { markdownTable } from "../extract/markdown";
import { readPdf } from "../extract/pdf";
import { countCharacters, countLines, decodeText } from "../extract/text";
import { fileRefSchema, type FileRef } from "../inputs";
import { resolveValueTemplate } from "../template";
import { defineStepKind, StepError, type StepContext } from "./types";

const configSchema = z.object({
  /** A template resolving to one file reference, e.g. `{{ inputs.document }}`. */
  file: z.string().min(1),
  /** `auto` looks at the content first (PDF and ZIP signatures), then the name and MIME type. */
  format: z.enum(["auto", "text", "csv", "pdf", "docx", "html", "markdown"]).default("auto"),
});

type ExtractConfig = z.output<typeof configSchema>;

/** What the extract step returns. */
export interface ExtractOutput {
  /** Plain text, without markup. */
  text: string;
  /** The same content as Markdown: headings, lists and tables where the source has them. */
  markdown: string;
  format: DocumentFormat;
  /** Unicode code points in `text`. */
  characters: number;
  /** Lines in `text`. */
  lines: number;
  /** CSV only: one object per data row, keyed by column. */
  rows?: Record<string, string>[];
  /** CSV only: the header names. */
  columns?: string[];
  /** PDF only: the page count. */
  pages?: number;
  /** The document's own title (PDF info, DOCX core properties, HTML `<title>`), when it has one. */
  title?: string;
}

/** The content a reader found; the step adds the counts. */
type Extracted = Omit<ExtractOutput, "characters" | "lines">;

/** Most progress events one PDF sends (large documents report every few pages). */
const MAX_PROGRESS_EVENTS = 50;
/** Mammoth warnings copied into the step's log. */
const MAX_LOGGED_WARNINGS = 5;

/** The "extract" step kind. */
export const extractStep = defineStepKind<ExtractConfig>({
  kind: "extract",
  configSchema,
  async run(ctx) {
    const { config, scope, ports, signal } = ctx;
    const ref = fileRefSchema.safeParse(resolveValueTemplate(config.file, scope));
    if (!ref.success) {
      throw new StepError("extract_error", `'file' must resolve to one file reference (got nothing usable from ${config.file})`, { retryable: false });
    }
    const file = ref.data;
    let bytes: Uint8Array;
    try {
      bytes = await ports.readFile(file, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof StepError ? signal.reason : new StepError("cancelled", "The step was cancelled");
      throw new StepError("extract_error", `Could not read '${file.name}': ${messageOf(error)}`);
    }
    const format = pickFormat(config.format, bytes, file);
    const extracted = await read(format, bytes, file, ctx);
    return { ...extracted, characters: countCharacters(extracted.text), lines: countLines(extracted.text) } satisfies ExtractOutput;
  },
});

function pickFormat(configured: ExtractConfig["format"], bytes: Uint8Array, file: FileRef): DocumentFormat {
  if (configured !== "auto") return configured;
  const detected = detectFormat(bytes, file);
  if ("format" in detected) return detected.format;
  throw extractError(`'${file.name}' is ${detected.unsupported}; extract reads PDF, DOCX, HTML, CSV, Markdown and plain text`);
}

async function read(format: DocumentFormat, bytes: Uint8Array, file: FileRef, ctx: StepContext<ExtractConfig>): Promise<Extracted> {
  switch (format) {
    case "pdf":
      return readPdfStep(bytes, file, ctx);
    case "docx": {
      const doc = await readDocx(bytes, file.name);
      logWarnings(doc.warnings, file, ctx);
      return { text: doc.text, markdown: doc.markdown, format, ...(doc.title ? { title: doc.title } : {}) };
    }
    case "html": {
      const doc = readHtml(bytes, file.name);
      return { text: doc.text, markdown: doc.markdown, format, ...(doc.title ? { title: doc.title } : {}) };
    }
    case "csv":
      return readCsv(bytes, file);
    case "text":
    case "markdown": {
      const text = decodeText(bytes, file.name);
      return { text, markdown: text, format };
    }
  }
}

async function readPdfStep(bytes: Uint8Array, file: FileRef, { signal, emit }: StepContext<ExtractConfig>): Promise<Extracted> {
  const doc = await readPdf(bytes, file.name, {
    signal,
    onPage(done, total) {
      if (total < 2) return;
      const step = Math.max(1, Math.ceil(total / MAX_PROGRESS_EVENTS));
      if (done % step !== 0 && done !== total) return;
      emit({ type: "progress", fraction: done / total, message: `Read page ${done} of ${total}` });
    },
  });
  const text = doc.pages.filter((page) => page !== "").join("\n\n");
  if (text === "" && doc.pages.length > 0) {
    emit({ type: "log", level: "warn", message: `'${file.name}' has no text layer (a scanned document?); no text was extracted` });
  }
  return { text, markdown: text, format: "pdf", pages: doc.pages.length, ...(doc.title ? { title: doc.title } : {}) };
}

function readCsv(bytes: Uint8Array, file: FileRef): Extracted {
  const text = decodeText(bytes, file.name);
  try {
    const { columns, rows } = csvToRows(text);
    const markdown = columns.length ? markdownTable(columns, rows.map((row) => columns.map((c) => row[c] ?? ""))) : "";
    return { text, markdown, format: "csv", columns, rows };
  } catch (error) {
    if (error instanceof CsvError) throw extractError(`'${file.name}' is not valid CSV: ${error.message}`);
    throw error;
  }
}

function logWarnings(warnings: string[], file: FileRef, { emit }: StepContext<ExtractConfig>): void {
  if (warnings.length === 0) return;
  const shown = warnings.slice(0, MAX_LOGGED_WARNINGS).join("; ");
  const more = warnings.length > MAX_LOGGED_WARNINGS ? ` (and ${warnings.length - MAX_LOGGED_WARNINGS} more)` : "";
  emit({ type: "log", level: "debug", message: `Converting '${file.name}': ${shown}${more}` });
}
