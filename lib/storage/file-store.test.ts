/**
 * The FileStore contract, run against both stores: LocalFileStore on a temp folder and
 * S3FileStore on a real S3-compatible server (s3rver in a child process).
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileTooLargeError, LocalFileStore, MissingFileError, S3FileStore, getFileStore, type FileStore } from "./file-store";
import { startS3TestServer, type S3TestServer } from "./s3-test-server";

const MiB = 1024 * 1024;

/** Deterministic, incompressible-looking bytes, made chunk by chunk (never held whole). */
function chunkOf(i: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < size; j += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out.writeUInt32LE(x, j);
  }
  return out;
}

/** A source of `count` chunks that records how many were pulled (to prove a put stopped early). */
function source(count: number, size: number, opts: { failAfter?: number } = {}) {
  const counter = { pulled: 0, sha256: "" };
  const hash = createHash("sha256");
  for (let i = 0; i < count; i++) hash.update(chunkOf(i, size));
  counter.sha256 = hash.digest("hex");
  const stream = Readable.from(
    (async function* () {
      for (let i = 0; i < count; i++) {
        if (opts.failAfter !== undefined && i === opts.failAfter) throw new Error("the client went away");
        counter.pulled++;
        yield chunkOf(i, size);
      }
    })(),
    { objectMode: false },
  );
  return { stream, counter };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  return Buffer.concat(parts);
}

let s3: S3TestServer;
let localRoot: string;

beforeAll(async () => {
  s3 = await startS3TestServer();
  localRoot = mkdtempSync(path.join(os.tmpdir(), "flowdeck-files-"));
}, 30_000);

afterAll(async () => {
  await s3?.stop();
});

interface Subject {
  store: FileStore;
  /** Every key the store holds (what a leak would show up in). */
  keys(): Promise<string[]>;
}

const subjects: [string, () => Subject][] = [
  [
    "LocalFileStore",
    () => {
      const root = path.join(localRoot, "files");
      return {
        store: new LocalFileStore(root),
        keys: async () => {
          const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
          return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
        },
      };
    },
  ],
  [
    "S3FileStore",
    () => {
      const store = new S3FileStore({ ...s3.config, prefix: "deploy-a/" });
      return {
        store,
        keys: async () => {
          const out = await store.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
          return (out.Contents ?? []).map((o) => o.Key!);
        },
      };
    },
  ],
];

describe.each(subjects)("%s", (name, make) => {
  let subject: Subject;
  let store: FileStore;
  beforeAll(() => {
    subject = make();
    store = subject.store;
  });

  it("puts, gets, streams, moves and removes", async () => {
    const bytes = new TextEncoder().encode("hello, store");
    await store.put("7/a1", bytes);
    expect(Buffer.from(await store.get("7/a1")).toString()).toBe("hello, store");
    expect((await readAll(store.stream("7/a1"))).toString()).toBe("hello, store");

    await store.move("7/a1", "8/b2");
    expect(Buffer.from(await store.get("8/b2")).toString()).toBe("hello, store");
    await expect(store.get("7/a1")).rejects.toBeInstanceOf(MissingFileError);

    await store.remove("8/b2");
    await store.remove("8/b2"); // removing what is gone is fine
    await expect(store.get("8/b2")).rejects.toBeInstanceOf(MissingFileError);
    await expect(readAll(store.stream("8/b2"))).rejects.toBeInstanceOf(MissingFileError);
    await expect(store.move("8/b2", "8/b3")).rejects.toBeInstanceOf(MissingFileError);
    if (name === "S3FileStore") expect(await subject.keys()).toEqual([]);
  });

  it("sweeps only temporary files written before the cut-off", async () => {
    await store.put("tmp/old1", new Uint8Array([1]));
    await store.put("tmp/old2", new Uint8Array([2]));
    await store.put("9/kept", new Uint8Array([3]));
    // Object stores keep times to the second: the cut-off is safely after the first writes.
    await new Promise((r) => setTimeout(r, 1100));
    const cutoff = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    await store.put("tmp/new1", new Uint8Array([4]));
    expect(await store.sweepTemporary(cutoff)).toBe(2);
    await expect(store.get("tmp/old1")).rejects.toBeInstanceOf(MissingFileError);
    await expect(store.get("tmp/old2")).rejects.toBeInstanceOf(MissingFileError);
    expect(Array.from(await store.get("tmp/new1"))).toEqual([4]);
    expect(Array.from(await store.get("9/kept"))).toEqual([3]);
    expect(await store.sweepTemporary(cutoff)).toBe(0);
    await store.remove("tmp/new1");
    await store.remove("9/kept");
  });

  it("refuses keys that are not workspace/id", async () => {
    for (const key of ["../x", "a/../b", "/etc/passwd", "a/b/c", "a", "a/", "a/.hidden", "tmp/a~b"]) {
      await expect(store.put(key, new Uint8Array([1])), key).rejects.toThrow(/Invalid storage key/);
      expect(() => store.stream(key), key).toThrow(/Invalid storage key/);
    }
  });

  it("streams a put from a Node stream and from a web stream, measuring size and SHA-256", async () => {
    const node = source(3, 64 * 1024);
    const put = await store.putStream("1/node", node.stream, { maxBytes: MiB, contentType: "application/octet-stream" });
    expect(put).toEqual({ size: 3 * 64 * 1024, sha256: node.counter.sha256 });
    expect(createHash("sha256").update(await store.get("1/node")).digest("hex")).toBe(node.counter.sha256);

    const web = Readable.toWeb(source(2, 1000).stream) as ReadableStream<Uint8Array>;
    const webPut = await store.putStream("1/web", web);
    expect(webPut.size).toBe(2000);
    expect(createHash("sha256").update(await readAll(store.stream("1/web"))).digest("hex")).toBe(webPut.sha256);

    const empty = await store.putStream("1/empty", Readable.from([]));
    expect(empty).toEqual({ size: 0, sha256: createHash("sha256").digest("hex") });
    expect((await store.get("1/empty")).byteLength).toBe(0);
    await Promise.all(["1/node", "1/web", "1/empty"].map((k) => store.remove(k)));
  });

  it("streams a file of several S3 parts (12 MiB) and reads it back whole", async () => {
    const big = source(12, MiB);
    const put = await store.putStream("2/big", big.stream, { maxBytes: 20 * MiB });
    expect(put).toEqual({ size: 12 * MiB, sha256: big.counter.sha256 });
    const hash = createHash("sha256");
    let size = 0;
    for await (const part of store.stream("2/big") as unknown as AsyncIterable<Uint8Array>) {
      hash.update(part);
      size += part.byteLength;
    }
    expect({ size, sha256: hash.digest("hex") }).toEqual(put);
    await store.remove("2/big");
  });

  it("stops a put at the size limit mid-stream and leaves nothing behind (also past the first S3 part)", async () => {
    const before = await subject.keys();
    // 3 MiB limit: fails inside what would be S3's first part.
    const small = source(40, 256 * 1024);
    await expect(store.putStream("3/small", small.stream, { maxBytes: 3 * MiB })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(small.counter.pulled).toBeLessThan(40); // stopped reading, did not drain the source
    // 7 MiB limit: one 5 MiB part is already uploaded when the limit is passed.
    const large = source(40, 512 * 1024);
    const error = await store.putStream("3/large", large.stream, { maxBytes: 7 * MiB }).catch((e) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error.maxBytes).toBe(7 * MiB);
    expect(large.counter.pulled).toBeLessThan(40);
    await expect(store.get("3/small")).rejects.toBeInstanceOf(MissingFileError);
    await expect(store.get("3/large")).rejects.toBeInstanceOf(MissingFileError);
    expect(await subject.keys()).toEqual(before);
  });

  it("a body that fails mid-stream rejects with its error and leaves nothing behind", async () => {
    const before = await subject.keys();
    const broken = source(10, MiB, { failAfter: 6 });
    await expect(store.putStream("4/broken", broken.stream, { maxBytes: 50 * MiB })).rejects.toThrow("the client went away");
    await expect(store.get("4/broken")).rejects.toBeInstanceOf(MissingFileError);
    expect(await subject.keys()).toEqual(before);
  });

  it("a failed put over an existing file keeps nothing half-written under the key", async () => {
    await store.put("5/kept", new TextEncoder().encode("old"));
    await expect(store.putStream("5/kept", source(10, MiB).stream, { maxBytes: 2 * MiB })).rejects.toBeInstanceOf(FileTooLargeError);
    // The new bytes only replace the old ones when complete (a rename on disk, S3 completing
    // the upload), so the old file is still whole.
    expect(Buffer.from(await store.get("5/kept")).toString()).toBe("old");
    await store.remove("5/kept");
  });
});

describe("LocalFileStore, a source that fails at once", () => {
  it("leaves no partial file, even when the failure beats the file's own open (found by the fuzz suite)", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "flowdeck-partial-"));
    const store = new LocalFileStore(root);
    for (let i = 0; i < 1000; i++) {
      const source = new PassThrough();
      source.on("error", () => {}); // as a multipart part that the parser destroys
      const put = store.putStream(`tmp/part-${i}`, source);
      setImmediate(() => source.destroy(new Error("the request was refused")));
      await expect(put).rejects.toThrow("the request was refused");
    }
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);
  });
});

describe("getFileStore", () => {
  it("is local by default and S3 when FLOWDECK_S3_BUCKET is set", async () => {
    const saved = { ...process.env };
    try {
      expect(getFileStore()).toBeInstanceOf(LocalFileStore);
      Object.assign(process.env, s3.env, { FLOWDECK_S3_PREFIX: "/team-x/" });
      const store = getFileStore();
      expect(store).toBeInstanceOf(S3FileStore);
      expect((store as S3FileStore).prefix).toBe("team-x/");
      await store.put("9/env", new TextEncoder().encode("through the env"));
      expect(Buffer.from(await store.get("9/env")).toString()).toBe("through the env");
      await store.remove("9/env");
      process.env.FLOWDECK_S3_PREFIX = "../escape";
      expect(() => getFileStore()).toThrow(/FLOWDECK_S3_PREFIX/);
    } finally {
      for (const k of Object.keys(s3.env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(getFileStore()).toBeInstanceOf(LocalFileStore);
  });
});
