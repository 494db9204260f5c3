/**
 * Chunk step: splits a text into pieces of at most `size` characters for embedding or for an
 * LLM, preferring paragraph or sentence ends, with an overlap between neighbours. Each chunk
 * carries its offsets in the source text. The splitting itself is in ../chunk/.
 */
import { z } from "zod";
import { ChunkLimitError, splitText, type TextChunk } from "../chunk/split-text";
import { resolveValueTemplate } from "../template";
import { defineStepKind, StepError } from "./types";

/** Largest chunk a step may ask for. */
export const MAX_CHUNK_SIZE = 100_000;
/** Most chunks one step may produce. */
export const MAX_CHUNKS = 100_000;

const configSchema = z
  .object({
    /** A template resolving to a string, or to an extract step's output (its `text` or `markdown` is split). */
    text: z.string().min(1),
    /** Most characters (UTF-16 code units) in one chunk. */
    size: z.number().int().min(50).max(MAX_CHUNK_SIZE).default(1000),
    /** Most characters a chunk repeats from the one before it. */
    overlap: z.number().int().min(0).default(100),
    /** Where chunks may end: paragraph, then sentence, then word ends; or anywhere (`character`). */
    boundary: z.enum(["paragraph", "sentence", "character"]).default("sentence"),
    /** Which field to split when `text` resolves to an extract output. */
    field: z.enum(["text", "markdown"]).default("text"),
  })
  .refine((config) => config.overlap < config.size, { path: ["overlap"], message: "overlap must be smaller than size" });

type ChunkConfig = z.output<typeof configSchema>;

/** What the chunk step returns. */
export interface ChunkOutput {
  chunks: TextChunk[];
  count: number;
}

/** The "chunk" step kind. */
export const chunkStep = defineStepKind<ChunkConfig>({
  kind: "chunk",
  configSchema,
  async run({ config, scope, signal }): Promise<ChunkOutput> {
    const text = sourceText(resolveValueTemplate(config.text, scope), config);
    try {
      const chunks = splitText(text, { size: config.size, overlap: config.overlap, boundary: config.boundary, signal, maxChunks: MAX_CHUNKS });
      return { chunks, count: chunks.length };
    } catch (error) {
      if (error instanceof ChunkLimitError) {
        throw new StepError("chunk_error", `The text makes more than ${MAX_CHUNKS} chunks; raise 'size' or lower 'overlap'`, { retryable: false });
      }
      throw error;
    }
  },
});

function sourceText(value: unknown, config: ChunkConfig): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const other = config.field === "text" ? "markdown" : "text";
    if (typeof record[config.field] === "string") return record[config.field] as string;
    if (typeof record[other] === "string") return record[other] as string;
  }
  const got = value === undefined ? "nothing" : Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
  throw new StepError("chunk_error", `'text' (${config.text}) must resolve to a string or an extract output, got ${got}`, { retryable: false });
}
