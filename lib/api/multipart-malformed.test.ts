/**
 * A multipart body whose part header is malformed, streamed in chunks as a network request
 * arrives, is refused (400) at once and leaves no staged upload (found by lib/api/fuzz.test.ts:
 * a file name with a raw CR made busboy report the error and then hand out the next part,
 * which never ended — the request hung and its upload stayed in tmp/).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ApiRequestError, readMultipartBody } from "./body";

const boundary = "----malformedBoundary";

function multipart(parts: { name: string; filename?: string; data: Buffer }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}\r\n\r\n`, "latin1"));
    chunks.push(p.data, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** A request whose body arrives in `size`-byte chunks, one per tick (as from a socket). */
function streamedRequest(body: Buffer, size: number): Request {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, 1));
      if (at >= body.byteLength) return controller.close();
      controller.enqueue(new Uint8Array(body.subarray(at, at + size)));
      at += size;
    },
  });
  return new Request("http://x/upload", {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body: stream,
    duplex: "half",
  } as RequestInit);
}

const staged = () => {
  try {
    return readdirSync(path.join(process.env.FLOWDECK_DATA_DIR!, "files", "tmp")).length;
  } catch {
    return 0;
  }
};

describe("readMultipartBody with a malformed part header", () => {
  // "名" written as Latin-1 is a raw CR (0x0D) inside the header line.
  const body = multipart([
    { name: "file", filename: "bad \u540d.txt", data: Buffer.from([0, 1, 2]) },
    { name: "file", filename: "data.csv", data: Buffer.alloc(1_000_001, 0x61) },
  ]);

  it.each([65_536, 4_096, body.byteLength])("is a 400 at once, nothing staged (chunks of %i bytes)", async (size) => {
    const started = Date.now();
    const outcome = await Promise.race([
      readMultipartBody(streamedRequest(body, size), { maxFileBytes: 50 * 1024 * 1024, maxFiles: 5, fileFields: ["file"] })
        .then(async (form) => {
          await form.discard();
          return "accepted";
        }, (error: unknown) => error),
      new Promise((resolve) => setTimeout(() => resolve("hung"), 10_000)),
    ]);
    expect(outcome).toBeInstanceOf(ApiRequestError);
    expect(outcome).toMatchObject({ status: 400, code: "invalid_body" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(staged()).toBe(0);
  }, 20_000);
});
