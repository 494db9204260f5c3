import { describe, expect, it } from "vitest";
import { testPorts } from "../test-ports";
import { workflowDefinitionSchema } from "../definition";
import type { FileRef } from "../inputs";
import { executeWorkflow } from "../run-workflow";

const files: Record<string, Uint8Array> = {
  t1: new TextEncoder().encode("hello world\nsecond line\n"),
  c1: new TextEncoder().encode('name,city\r\n"Lovelace, Ada",London\r\nGrace,"New ""York"""\r\n'),
  b1: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]),
  u1: new Uint8Array([0x66, 0xff, 0xfe, 0x67]),
};
const ref = (id: string, name: string, mime_type = "text/plain"): FileRef => ({ id, name, size: files[id].length, mime_type });

async function extract(file: FileRef | undefined, config: Record<string, unknown> = {}) {
  const definition = workflowDefinitionSchema.parse({
    inputs: [{ name: "document", type: "file" }],
    steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.document }}", ...config } }],
    outputs: { out: "{{ steps.read.output }}" },
  });
  const seen: string[] = [];
  const outcome = await executeWorkflow({
    definition,
    inputs: file ? { document: file } : {},
    emit: () => {},
    ports: testPorts({
      readFile: async (r) => {
        seen.push(r.id);
        return files[r.id];
      },
    }),
  });
  return { outcome, seen };
}

describe("extract step", () => {
  it("reads plain text with character and line counts", async () => {
    const { outcome, seen } = await extract(ref("t1", "notes.txt"));
    expect(seen).toEqual(["t1"]);
    expect(outcome.outputs?.out).toEqual({ text: "hello world\nsecond line\n", format: "text", characters: 24, lines: 2 });
  });

  it("parses CSV (detected by name or type) into columns and rows", async () => {
    const { outcome } = await extract(ref("c1", "people.csv", "application/octet-stream"));
    expect(outcome.outputs?.out).toMatchObject({
      format: "csv",
      columns: ["name", "city"],
      rows: [{ name: "Lovelace, Ada", city: "London" }, { name: "Grace", city: 'New "York"' }],
      lines: 3,
    });
    const forced = await extract(ref("c1", "people.data"), { format: "csv" });
    expect((forced.outcome.outputs?.out as { rows: unknown[] }).rows).toHaveLength(2);
    const asText = await extract(ref("c1", "people.csv"), { format: "text" });
    expect(asText.outcome.outputs?.out).toMatchObject({ format: "text" });
  });

  it("refuses binary and non-UTF-8 data with a clear extract_error", async () => {
    const binary = await extract(ref("b1", "image.png", "image/png"));
    expect(binary.outcome.error).toMatchObject({ code: "extract_error", step_id: "read" });
    expect(binary.outcome.error?.message).toMatch(/'image\.png' looks like a binary file/);
    const latin = await extract(ref("u1", "old.txt"));
    expect(latin.outcome.error?.message).toMatch(/'old\.txt' is not valid UTF-8/);
  });

  it("explains a file template that does not resolve to a file", async () => {
    const { outcome } = await extract(undefined);
    expect(outcome.error).toMatchObject({ code: "extract_error" });
    expect(outcome.error?.message).toMatch(/must resolve to one file reference/);
  });
});
