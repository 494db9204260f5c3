/**
 * Every demo workflow is a valid definition, and the document summary demo really takes its
 * two paths: a long PDF goes through the map over its parts, a short text through one pass.
 */
import { afterAll, describe, expect, it } from "vitest";
import { executeWorkflow, shutdownSandboxPool, validateDefinition, type EngineEvent, type FileRef } from "../engine";
import { makePdf } from "../engine/steps/extract.fixtures";
import { testPorts } from "../engine/test-ports";
import { demoWorkflows } from "./workflows";

afterAll(() => shutdownSandboxPool());

const definitionOf = (name: string) => {
  const checked = validateDefinition(demoWorkflows.find((w) => w.name === name)!.versions[0]);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.definition;
};

async function summarise(file: FileRef, bytes: Uint8Array) {
  const events: EngineEvent[] = [];
  const outcome = await executeWorkflow({
    definition: definitionOf("document-summary"), inputs: { document: file }, emit: (e) => void events.push(e),
    ports: testPorts({ readFile: async () => bytes }),
  });
  const status = (id: string) => events.find((e) => e.type === "step_finished" && e.step_id === id)?.type === "step_finished"
    ? (events.find((e) => e.type === "step_finished" && e.step_id === id) as { status: string }).status : undefined;
  return { outcome, status };
}

describe("demo workflows", () => {
  it("are all valid definitions", () => {
    for (const wf of demoWorkflows) {
      for (const version of wf.versions) expect(validateDefinition(version), wf.name).toMatchObject({ ok: true });
    }
  });

  it("summarise a long PDF part by part (branch → map)", async () => {
    const sentence = (i: number) => `Section ${i} covers workflow scheduling.`;
    const pages = Array.from({ length: 3 }, (_, p) => Array.from({ length: 30 }, (_, i) => sentence(p * 14 + i)));
    const pdf = await makePdf(pages, "Scheduling notes");
    const { outcome, status } = await summarise({ id: "f1", name: "notes.pdf", mime_type: "application/pdf", size: pdf.length }, pdf);
    expect(outcome.status).toBe("succeeded");
    expect(status("per_part")).toBe("succeeded");
    expect(status("whole")).toBe("skipped");
    const summary = String(outcome.outputs?.summary);
    expect(summary).toMatch(/^## Scheduling notes/);
    expect(summary).toMatch(/PDF, 3 pages/);
    expect(Number(outcome.outputs?.parts)).toBeGreaterThan(1);
    expect(summary).toMatch(/\n1\. Section 0 covers workflow scheduling\./);
    expect(summary).toMatch(/\n2\. Section \d+ covers workflow scheduling\./);
    expect(summary).toMatch(/_[a-z, ]*workflow/);
  });

  it("summarise a short text in one pass (the other path)", async () => {
    const bytes = new TextEncoder().encode("Flowdeck runs workflows. It stores every run.");
    const { outcome, status } = await summarise({ id: "f2", name: "short.txt", mime_type: "text/plain", size: bytes.length }, bytes);
    expect(outcome.status).toBe("succeeded");
    expect(status("per_part")).toBe("skipped");
    expect(status("whole")).toBe("succeeded");
    expect(String(outcome.outputs?.summary)).toMatch(/1\. Flowdeck runs workflows\./);
  });
});
