import { beforeAll, describe, expect, it } from "vitest";
import { testPorts } from "../test-ports";
import { workflowDefinitionSchema } from "../definition";
import type { EngineEvent } from "../events";
import type { FileRef } from "../inputs";
import { executeWorkflow } from "../run-workflow";
import { extractStep, type ExtractOutput } from "./extract";
import { StepError } from "./types";
import { makeDocx, makeEncryptedPdf, makePdf, makeZip } from "./extract.fixtures";

const encode = (text: string) => new TextEncoder().encode(text);

const PAGE_TEXTS = [
  ["Quarterly report", "Revenue grew in every region."],
  ["Second page: costs stayed flat.", "Hiring continued."],
  ["Third page closes with an outlook."],
];

const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Release   notes</title>
<style>body { color: red }</style><script>alert("never in the text")</script></head>
<body>
<nav><a href="/">Home</a> <a href="/docs">Docs</a></nav>
<h1>Version 2.0</h1>
<p>This release adds <strong>streaming</strong> and a <a href="https://example.org/api">new API</a>.</p>
<h2>Changes</h2>
<ul><li>Faster uploads</li><li>Share links</li></ul>
<table><thead><tr><th>Plan</th><th>Price</th></tr></thead><tbody><tr><td>Free</td><td>0</td></tr><tr><td>Team</td><td>12</td></tr></tbody></table>
<noscript>Enable JavaScript</noscript>
</body></html>`;

const files: Record<string, Uint8Array> = {
  t1: encode("hello world\nsecond line\n"),
  c1: encode('name,city\r\n"Lovelace, Ada",London\r\nGrace,"New ""York"""\r\n'),
  b1: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01]),
  junk: new Uint8Array([0x13, 0x37, 0x00, 0xfe, 0x01, 0x00, 0x42, 0x99, 0x00, 0x00, 0x07]),
  u1: new Uint8Array([0x66, 0xff, 0xfe, 0x67]),
  md: encode("# Title\n\n- a\n- b\n"),
  h1: encode(HTML),
  utf16: new Uint8Array([0xff, 0xfe, ...Array.from("héllo", (c) => [c.charCodeAt(0), 0]).flat()]),
  latin1html: new Uint8Array([...encode('<html><head><meta charset="windows-1252"></head><body><p>caf'), 0xe9, ...encode("</p></body></html>")]),
  badpdf: encode("%PDF-1.7\n1 0 obj\nthis is not a real PDF at all\n"),
  zip: makeZip({ "notes.txt": "not a word document", "data/readme.md": "# hi" }),
};

beforeAll(async () => {
  files.pdf = await makePdf(PAGE_TEXTS, "Q3 Report");
  files.bigpdf = await makePdf(Array.from({ length: 30 }, (_, i) => [`Page number ${i + 1}`]));
  files.docx = await makeDocx();
  files.encrypted = makeEncryptedPdf("secret");
  files.truncated = files.pdf.slice(0, Math.floor(files.pdf.length / 3));
});

const ref = (id: string, name: string, mime_type = "text/plain"): FileRef => ({ id, name, size: files[id].length, mime_type });

async function extract(file: FileRef | undefined, config: Record<string, unknown> = {}, signal?: AbortSignal, onEvent?: (e: EngineEvent) => void) {
  const definition = workflowDefinitionSchema.parse({
    inputs: [{ name: "document", type: "file" }],
    steps: [{ id: "read", kind: "extract", retries: 2, retry_backoff_ms: 0, config: { file: "{{ inputs.document }}", ...config } }],
    outputs: { out: "{{ steps.read.output }}" },
  });
  const seen: string[] = [];
  const events: EngineEvent[] = [];
  const outcome = await executeWorkflow({
    definition,
    inputs: file ? { document: file } : {},
    signal,
    emit: (event) => {
      events.push(event);
      onEvent?.(event);
    },
    ports: testPorts({
      readFile: async (r) => {
        seen.push(r.id);
        return files[r.id];
      },
    }),
  });
  return { outcome, seen, events, out: outcome.outputs?.out as ExtractOutput | undefined };
}

describe("extract step: text and CSV", () => {
  it("reads plain text with character and line counts", async () => {
    const { outcome, seen } = await extract(ref("t1", "notes.txt"));
    expect(seen).toEqual(["t1"]);
    expect(outcome.outputs?.out).toEqual({
      text: "hello world\nsecond line\n", markdown: "hello world\nsecond line\n", format: "text", characters: 24, lines: 2,
    });
  });

  it("parses CSV (detected by name or type) into columns and rows, and a Markdown table", async () => {
    const { out } = await extract(ref("c1", "people.csv", "application/octet-stream"));
    expect(out).toMatchObject({
      format: "csv",
      columns: ["name", "city"],
      rows: [{ name: "Lovelace, Ada", city: "London" }, { name: "Grace", city: 'New "York"' }],
      lines: 3,
    });
    expect(out?.text).toBe(new TextDecoder().decode(files.c1));
    expect(out?.markdown).toBe('| name | city |\n| --- | --- |\n| Lovelace, Ada | London |\n| Grace | New "York" |');
    const forced = await extract(ref("c1", "people.data"), { format: "csv" });
    expect(forced.out?.rows).toHaveLength(2);
    const asText = await extract(ref("c1", "people.csv"), { format: "text" });
    expect(asText.out).toMatchObject({ format: "text" });
    expect(asText.out?.rows).toBeUndefined();
  });

  it("keeps Markdown files as they are and reads UTF-16 text with a byte-order mark", async () => {
    const md = await extract(ref("md", "README.md", "application/octet-stream"));
    expect(md.out).toMatchObject({ format: "markdown", text: "# Title\n\n- a\n- b\n", markdown: "# Title\n\n- a\n- b\n" });
    const utf16 = await extract(ref("utf16", "old.txt"));
    expect(utf16.out).toMatchObject({ format: "text", text: "héllo", characters: 5 });
  });
});

describe("extract step: PDF", () => {
  it("reads every page's text in order, the page count and the title, with progress", async () => {
    // Named and typed as anything: the content decides.
    const { out, events } = await extract(ref("pdf", "upload.bin", "application/octet-stream"));
    expect(out).toMatchObject({ format: "pdf", pages: 3, title: "Q3 Report" });
    expect(out?.text).toBe(PAGE_TEXTS.map((lines) => lines.join("\n")).join("\n\n"));
    expect(out?.markdown).toBe(out?.text);
    expect(out?.lines).toBe(7);
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.map((e) => (e as { fraction: number }).fraction)).toEqual([1 / 3, 2 / 3, 1]);
    expect(progress[0]).toMatchObject({ step_id: "read", message: "Read page 1 of 3" });
  });

  it("stops between pages when the step is aborted", async () => {
    const controller = new AbortController();
    const progress: unknown[] = [];
    const run = extractStep.run({
      stepId: "read",
      config: { file: "{{ inputs.document }}", format: "auto" },
      scope: { inputs: { document: ref("bigpdf", "long.pdf", "application/pdf") }, steps: {} },
      signal: controller.signal,
      timeoutMs: 10_000,
      emit(event) {
        if (event.type !== "progress") return;
        progress.push(event);
        if (progress.length === 2) controller.abort(new StepError("cancelled", "Run cancelled by a test"));
      },
      ports: testPorts({ readFile: async () => files.bigpdf }),
      addTokens() {},
      runNested: async () => ({ ok: true, stepOutputs: {} }),
    });
    await expect(run).rejects.toMatchObject({ code: "cancelled", message: "Run cancelled by a test" });
    expect(progress).toHaveLength(2); // of 30 pages
  });

  it("ends a run cancelled while a PDF is read", async () => {
    const controller = new AbortController();
    const { outcome } = await extract(ref("bigpdf", "long.pdf", "application/pdf"), {}, controller.signal, (event) => {
      if (event.type === "progress") controller.abort();
    });
    expect(outcome.status).toBe("cancelled");
  });

  it("refuses a corrupt, truncated or encrypted PDF with a clear, final extract_error", async () => {
    const corrupt = await extract(ref("badpdf", "broken.pdf", "application/pdf"));
    expect(corrupt.outcome.error).toMatchObject({ code: "extract_error", step_id: "read" });
    expect(corrupt.outcome.error?.message).toBe("'broken.pdf' is not a valid PDF (the file is damaged or not a PDF at all)");
    expect(corrupt.seen).toEqual(["badpdf"]); // not retried: the same bytes would fail again

    const truncated = await extract(ref("truncated", "cut.pdf", "application/pdf"));
    expect(truncated.outcome.error).toMatchObject({ code: "extract_error" });
    expect(truncated.outcome.error?.message).toMatch(/'cut\.pdf' (is not a valid PDF|could not be read)/);

    const locked = await extract(ref("encrypted", "locked.pdf", "application/pdf"));
    expect(locked.outcome.error).toMatchObject({ code: "extract_error" });
    expect(locked.outcome.error?.message).toMatch(/'locked\.pdf' is an encrypted PDF that needs a password/);

    const notPdf = await extract(ref("t1", "notes.txt"), { format: "pdf" });
    expect(notPdf.outcome.error?.message).toMatch(/'notes\.txt' is not a valid PDF/);
  });
});

describe("extract step: DOCX", () => {
  it("turns headings, lists and tables into Markdown and keeps the title", async () => {
    const { out } = await extract(ref("docx", "handbook.docx", "application/octet-stream"));
    expect(out).toMatchObject({ format: "docx", title: "Team handbook" });
    const md = out!.markdown;
    expect(md).toMatch(/^# Onboarding\n\nWelcome to the \*\*team\*\*\.\n\n## What you get\n/);
    expect(md).toMatch(/^- +A laptop\n- +A badge$/m);
    expect(md).toContain("| Name | Role |\n| --- | --- |\n| Ada | Engineer \\| lead |\n| Grace | Admiral |");
    expect(out!.text).toBe("Onboarding\n\nWelcome to the team.\n\nWhat you get\n\nA laptop\nA badge\n\nName\tRole\nAda\tEngineer | lead\nGrace\tAdmiral");
    expect(out!.pages).toBeUndefined();
  });

  it("refuses a ZIP that is not a Word document", async () => {
    const auto = await extract(ref("zip", "archive.zip", "application/zip"));
    expect(auto.outcome.error).toMatchObject({ code: "extract_error" });
    expect(auto.outcome.error?.message).toMatch(/'archive\.zip' is a ZIP archive without a Word document inside/);
    const forced = await extract(ref("zip", "fake.docx"), { format: "docx" });
    expect(forced.outcome.error?.message).toMatch(/'fake\.docx' is not a readable Word document \(\.docx\): Could not find main document part/);
    const named = await extract(ref("t1", "notes.docx"));
    expect(named.outcome.error?.message).toMatch(/'notes\.docx' is not a readable Word document/);
  });
});

describe("extract step: HTML", () => {
  it("converts HTML to Markdown and text without scripts, styles or navigation", async () => {
    const { out } = await extract(ref("h1", "page.html", "text/html"));
    expect(out).toMatchObject({ format: "html", title: "Release notes" });
    expect(out!.markdown).toBe(
      [
        "# Version 2.0",
        "This release adds **streaming** and a [new API](https://example.org/api).",
        "## Changes",
        "-   Faster uploads\n-   Share links",
        "| Plan | Price |\n| --- | --- |\n| Free | 0 |\n| Team | 12 |",
      ].join("\n\n"),
    );
    expect(out!.text).toBe(
      "Version 2.0\n\nThis release adds streaming and a new API.\n\nChanges\n\nFaster uploads\nShare links\n\nPlan\tPrice\nFree\t0\nTeam\t12",
    );
    for (const hidden of ["alert", "color: red", "Home", "Docs", "Enable JavaScript"]) {
      expect(out!.markdown).not.toContain(hidden);
      expect(out!.text).not.toContain(hidden);
    }
  });

  it("detects HTML by its content and honours a declared charset", async () => {
    const sniffed = await extract(ref("h1", "download", "application/octet-stream"));
    expect(sniffed.out?.format).toBe("html");
    const legacy = await extract(ref("latin1html", "old.htm", "text/html"));
    expect(legacy.out?.text).toBe("café");
  });
});

describe("extract step: hostile input", () => {
  it("refuses binary and non-UTF-8 data with a clear extract_error", async () => {
    const image = await extract(ref("b1", "image.png", "image/png"));
    expect(image.outcome.error).toMatchObject({ code: "extract_error", step_id: "read" });
    expect(image.outcome.error?.message).toMatch(/'image\.png' is a PNG image; extract reads PDF, DOCX, HTML/);
    const junk = await extract(ref("junk", "blob.dat", "application/octet-stream"));
    expect(junk.outcome.error?.message).toMatch(/'blob\.dat' looks like a binary file/);
    const latin = await extract(ref("u1", "old.txt"));
    expect(latin.outcome.error?.message).toMatch(/'old\.txt' is not valid UTF-8/);
    expect(latin.seen).toEqual(["u1"]);
  });

  it("explains a file template that does not resolve to a file", async () => {
    const { outcome } = await extract(undefined);
    expect(outcome.error).toMatchObject({ code: "extract_error" });
    expect(outcome.error?.message).toMatch(/must resolve to one file reference/);
  });
});
