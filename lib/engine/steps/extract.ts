/** Extract step: reads a text or CSV file into text (and rows for CSV). PDF/DOCX come later. */
import { z } from "zod";
import { CsvError, csvToRows } from "../csv";
import { fileRefSchema, type FileRef } from "../inputs";
import { resolveValueTemplate } from "../template";
import { defineStepKind, StepError } from "./types";

const configSchema = z.object({
  file: z.string().min(1),
  format: z.enum(["auto", "text", "csv"]).default("auto"),
});

/** What the extract step returns. */
export interface ExtractOutput {
  text: string;
  format: "text" | "csv";
  rows?: Record<string, string>[];
  columns?: string[];
  characters: number;
  lines: number;
}

const CSV_MIME = new Set(["text/csv", "application/csv", "text/comma-separated-values"]);

function isCsv(ref: FileRef): boolean {
  return ref.name.toLowerCase().endsWith(".csv") || CSV_MIME.has(ref.mime_type.toLowerCase().split(";")[0].trim());
}

/** Decodes UTF-8 strictly; NUL bytes or invalid sequences mean "not a text file". */
function decodeText(bytes: Uint8Array, name: string): string {
  if (bytes.subarray(0, 8192).includes(0)) {
    throw new StepError("extract_error", `'${name}' looks like a binary file; only plain text and CSV can be read for now`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new StepError("extract_error", `'${name}' is not valid UTF-8 text; save it as UTF-8 and try again`);
  }
}

function countLines(text: string): number {
  if (text === "") return 0;
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lines++;
  }
  const last = text.charCodeAt(text.length - 1);
  return last === 10 || last === 13 ? lines - 1 : lines;
}

function countCharacters(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) surrogatePairs++;
  }
  return text.length - surrogatePairs;
}

/** The "extract" step kind. */
export const extractStep = defineStepKind<z.output<typeof configSchema>>({
  kind: "extract",
  configSchema,
  async run({ config, scope, ports, signal }) {
    const ref = fileRefSchema.safeParse(resolveValueTemplate(config.file, scope));
    if (!ref.success) {
      throw new StepError("extract_error", `'file' must resolve to one file reference (got nothing usable from ${config.file})`);
    }
    const file = ref.data;
    let bytes: Uint8Array;
    try {
      bytes = await ports.readFile(file, signal);
    } catch (error) {
      if (signal.aborted) throw new StepError("cancelled", "The step was cancelled");
      throw new StepError("extract_error", `Could not read '${file.name}': ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = decodeText(bytes, file.name);
    const format = config.format === "auto" ? (isCsv(file) ? "csv" : "text") : config.format;
    const output: ExtractOutput = { text, format, characters: countCharacters(text), lines: countLines(text) };
    if (format === "csv") {
      try {
        const { columns, rows } = csvToRows(text);
        output.columns = columns;
        output.rows = rows;
      } catch (error) {
        if (error instanceof CsvError) throw new StepError("extract_error", `'${file.name}' is not valid CSV: ${error.message}`);
        throw error;
      }
    }
    return output;
  },
});
