/**
 * The PDF reader runs each document on a thread of its own: a decompression bomb is stopped
 * at the memory limit with a clear error and this process carries on; cancelling at any
 * moment ends the thread without taking the process down.
 */
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { makePdf } from "../steps/extract.fixtures";
import { StepError } from "../steps/types";
import { idlePdfReaders, readPdf } from "./pdf";

/** A one-page PDF whose content stream is `inflatedBytes` of spaces, compressed. */
function pdfWithStream(inflatedBytes: number): Uint8Array {
  const z = deflateSync(Buffer.alloc(inflatedBytes, 0x20), { level: 9 });
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  const push = (b: Buffer | string) => {
    const buf = typeof b === "string" ? Buffer.from(b, "latin1") : b;
    parts.push(buf);
    at += buf.length;
  };
  push("%PDF-1.4\n");
  offsets[1] = at; push("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
  offsets[2] = at; push("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
  offsets[3] = at; push("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n");
  offsets[4] = at; push(`4 0 obj << /Length ${z.length} /Filter /FlateDecode >> stream\n`); push(z); push("\nendstream endobj\n");
  const xref = at;
  push(`xref\n0 5\n0000000000 65535 f \n${[1, 2, 3, 4].map((i) => `${String(offsets[i]).padStart(10, "0")} 00000 n \n`).join("")}`);
  push(`trailer << /Size 5 /Root 1 0 R >> startxref\n${xref}\n%%EOF\n`);
  return new Uint8Array(Buffer.concat(parts));
}

describe("readPdf on its own thread", () => {
  it("stops a decompression bomb at the memory limit; the process carries on and reads the next document", async () => {
    const bomb = pdfWithStream(1536 * 1024 * 1024); // 1.5 GB of content in a ~1.5 MB file
    expect(bomb.length).toBeLessThan(3 * 1024 * 1024);
    const rss0 = process.memoryUsage.rss();
    const error = await readPdf(bomb, "bomb.pdf", { memoryMb: 96 }).catch((e) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error).toMatchObject({ code: "extract_error", retryable: false });
    expect(error.message).toBe("'bomb.pdf' needs more than 96 MB of memory to read (a compressed part expands too far); it was not read");
    expect(process.memoryUsage.rss() - rss0, "this process did not take the bomb's memory").toBeLessThan(600 * 1024 * 1024);

    const doc = await readPdf(await makePdf([["After the bomb"]], "Next"), "next.pdf");
    expect(doc).toEqual({ pages: ["After the bomb"], title: "Next" });
  }, 60_000);

  it("cancelling at any moment ends the read with the step's error, never the process", async () => {
    const pdf = await makePdf(Array.from({ length: 20 }, (_, i) => [`Page ${i + 1}`]));
    const outcomes = { read: 0, cancelled: 0 };
    for (let i = 0; i < 30; i++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new StepError("cancelled", "The step was cancelled")), (i * 13) % 400);
      const result = await readPdf(pdf, "p.pdf", { signal: controller.signal }).catch((e) => e);
      if (result instanceof StepError) {
        expect(result.code).toBe("cancelled");
        outcomes.cancelled++;
      } else {
        expect(result.pages).toHaveLength(20);
        outcomes.read++;
      }
    }
    expect(outcomes.cancelled).toBeGreaterThan(0);
    expect(outcomes.read).toBeGreaterThan(0);
  }, 60_000);

  it("a reader that answered waits for the next document; one stopped early does not come back", async () => {
    const pdf = await makePdf([["One"], ["Two"]], "Reused");
    await readPdf(pdf, "a.pdf");
    const idle = idlePdfReaders();
    expect(idle).toBeGreaterThan(0);
    const reading = readPdf(pdf, "b.pdf");
    expect(idlePdfReaders(), "the waiting reader took the document").toBe(idle - 1);
    expect(await reading).toEqual({ pages: ["One", "Two"], title: "Reused" });
    expect(idlePdfReaders()).toBe(idle);
    // An error answer (not a PDF) leaves the reader usable too.
    await expect(readPdf(new TextEncoder().encode("%PDF-1.7\nnot really\n"), "bad.pdf")).rejects.toThrow(/is not a valid PDF/);
    expect(idlePdfReaders()).toBe(idle);
    const controller = new AbortController();
    const cancelled = readPdf(pdf, "c.pdf", { signal: controller.signal });
    controller.abort(new StepError("cancelled", "The step was cancelled"));
    await expect(cancelled).rejects.toMatchObject({ code: "cancelled" });
    expect(idlePdfReaders(), "the stopped reader was terminated, not put back").toBe(idle - 1);
  });
});
