import { describe, expect, it } from "vitest";
import { validateDefinition, workflowDefinitionSchema } from "../definition";
import type { FileRef } from "../inputs";
import { executeWorkflow } from "../run-workflow";
import { testPorts } from "../test-ports";
import type { ChunkOutput } from "./chunk";
import { makeDocx } from "./extract.fixtures";

async function run(steps: unknown[], inputs: Record<string, unknown>, files: Record<string, Uint8Array> = {}) {
  const definition = workflowDefinitionSchema.parse({
    inputs: [
      { name: "body", type: "text", required: false },
      { name: "document", type: "file", required: false },
    ],
    steps,
    outputs: { out: "{{ steps.split.output }}" },
  });
  const outcome = await executeWorkflow({
    definition,
    inputs,
    emit: () => {},
    ports: testPorts({ readFile: async (ref) => files[ref.id] }),
  });
  return { outcome, out: outcome.outputs?.out as ChunkOutput | undefined };
}

const chunkOf = (config: Record<string, unknown>) => ({ id: "split", kind: "chunk", config: { text: "{{ inputs.body }}", ...config } });

describe("chunk step", () => {
  it("splits text input on sentence ends with exact offsets and overlap", async () => {
    const body = "Flowdeck runs workflows. Each run is stored. Events stream live to the browser. Runs can be shared by link.";
    const { outcome, out } = await run([chunkOf({ size: 60, overlap: 30 })], { body });
    expect(outcome.status).toBe("succeeded");
    expect(out).toEqual({
      count: 3,
      chunks: [
        { index: 0, text: "Flowdeck runs workflows. Each run is stored.", start: 0, end: 44 },
        { index: 1, text: "Each run is stored. Events stream live to the browser.", start: 25, end: 79 },
        { index: 2, text: "Runs can be shared by link.", start: 80, end: 107 },
      ],
    });
    for (const chunk of out!.chunks) expect(body.slice(chunk.start, chunk.end)).toBe(chunk.text);
  });

  it("uses the defaults (1000 / 100 / sentence) and returns nothing for empty text", async () => {
    const short = await run([chunkOf({})], { body: "One sentence." });
    expect(short.out).toEqual({ count: 1, chunks: [{ index: 0, text: "One sentence.", start: 0, end: 13 }] });
    const empty = await run([chunkOf({})], { body: "" });
    expect(empty.out).toEqual({ count: 0, chunks: [] });
  });

  it("splits an extract step's output: its text, or its markdown on request", async () => {
    const files = { d1: await makeDocx() };
    const document: FileRef = { id: "d1", name: "handbook.docx", size: files.d1.length, mime_type: "application/octet-stream" };
    const steps = (field?: string) => [
      { id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } },
      { id: "split", kind: "chunk", config: { text: "{{ steps.read.output }}", size: 60, overlap: 0, boundary: "paragraph", ...(field ? { field } : {}) } },
    ];
    const plain = await run(steps(), { document }, files);
    expect(plain.outcome.status).toBe("succeeded");
    expect(plain.out!.chunks[0].text).toBe("Onboarding\n\nWelcome to the team.\n\nWhat you get");
    expect(plain.out!.chunks.map((c) => c.text).join(" ")).not.toContain("#");
    const markdown = await run(steps("markdown"), { document }, files);
    // The table is longer than the size, so it is split between rows (line ends) and packed on.
    expect(markdown.out!.chunks.map((c) => c.text)).toEqual([
      "# Onboarding\n\nWelcome to the **team**.\n\n## What you get",
      "-   A laptop\n-   A badge\n\n| Name | Role |\n| --- | --- |",
      "| Ada | Engineer \\| lead |\n| Grace | Admiral |",
    ]);
  });

  it("refuses a value that is not text", async () => {
    const steps = [
      { id: "make", kind: "transform", config: { expression: "[1, 2, 3]" } },
      { id: "split", kind: "chunk", config: { text: "{{ steps.make.output }}" } },
    ];
    const { outcome } = await run(steps, {});
    expect(outcome.error).toMatchObject({ code: "chunk_error", step_id: "split" });
    expect(outcome.error?.message).toMatch(/must resolve to a string or an extract output, got a list/);
  });

  it("rejects an overlap that is not smaller than the size, and sizes under 50", () => {
    const definition = (config: Record<string, unknown>) => ({ inputs: [{ name: "body", type: "text" }], steps: [chunkOf(config)], outputs: {} });
    const overlap = validateDefinition(definition({ size: 100, overlap: 100 }));
    expect(overlap.ok).toBe(false);
    expect(JSON.stringify(overlap)).toMatch(/overlap must be smaller than size/);
    expect(validateDefinition(definition({ size: 49 })).ok).toBe(false);
    expect(validateDefinition(definition({ boundary: "word" })).ok).toBe(false);
    expect(validateDefinition(definition({ size: 100, overlap: 99, boundary: "paragraph" })).ok).toBe(true);
  });
});
