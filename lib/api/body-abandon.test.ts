/**
 * Request bodies read only in part, the way Next.js hands them to a route: its stream is fed
 * by the socket's 'data' events and has no cancel handler, so a reader that cancels it makes
 * each later chunk throw in the socket's listener — an uncaught exception in the server (found
 * by lib/api/fuzz.test.ts: a refused 2 MB upload). Refused bodies are drained instead. Also: a
 * text field busboy cannot decode is a 400, not a file of `undefined` (a Dify upload 500).
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ApiRequestError, readMultipartBody, readRequestBody } from "./body";

/** A request whose body is fed like Next.js's NodeNextRequest.stream(): enqueue on every 'data'. */
function nextLikeRequest(contentType: string) {
  const socket = new EventEmitter();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
      socket.on("end", () => controller.close());
    },
  });
  const req = new Request("http://x/", { method: "POST", headers: { "content-type": contentType }, body, duplex: "half" } as RequestInit);
  /** Sends chunks as a socket would; throws if the body stream refuses one (what became uncaught). */
  const send = async (chunks: Buffer[], end = true) => {
    for (const chunk of chunks) {
      socket.emit("data", chunk);
      await new Promise((r) => setTimeout(r, 1));
    }
    if (end) socket.emit("end");
  };
  return { req, send };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("bodies refused part-way are drained, not cancelled", () => {
  it("a JSON body past the size limit (no content-length)", async () => {
    const { req, send } = nextLikeRequest("application/json");
    const reading = readRequestBody(req, { formats: ["json"], optional: false, maxBytes: 1024 }).catch((e) => e);
    const sending = send(Array.from({ length: 20 }, () => Buffer.alloc(512, 0x20)));
    expect(await reading).toMatchObject({ status: 413 });
    await expect(sending).resolves.toBeUndefined(); // no chunk was refused by a cancelled stream
  });

  it("a multipart body refused while its file is still arriving", async () => {
    const boundary = "b";
    const { req, send } = nextLikeRequest(`multipart/form-data; boundary=${boundary}`);
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n${"x".repeat(200)}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n`);
    const reading = readMultipartBody(req, { maxFileBytes: 1 << 20, maxFieldBytes: 100, fileFields: ["file"] }).catch((e) => e);
    const sending = send([head, ...Array.from({ length: 30 }, () => Buffer.alloc(4096, 0x61)), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    expect(await reading).toMatchObject({ status: 413, code: "payload_too_large" });
    await expect(sending).resolves.toBeUndefined();
    await tick();
  });
});

describe("multipart text fields", () => {
  it("a text part in a charset busboy cannot decode is a 400, never a file", async () => {
    const boundary = "c";
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nabc\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=""\r\nContent-Type: text/plain; charset=utf-16\r\n\r\nhello\r\n`,
      `--${boundary}--\r\n`,
    ].join("");
    const req = new Request("http://x/", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
    const error = await readMultipartBody(req, { maxFileBytes: 1 << 20, maxFiles: 1, fileFields: ["file"] }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ status: 400, code: "invalid_body" });
  });
});
