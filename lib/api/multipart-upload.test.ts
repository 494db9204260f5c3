/**
 * Streamed uploads end to end, on local disk and on a real S3-compatible server (s3rver in a
 * child process): the real route handlers (POST /api/v1/files, GET /api/v1/files/{id}, Dify's
 * upload, Unstructured's run), bodies generated chunk by chunk so the test never holds a file
 * whole, process memory sampled while a 40 MB file goes through, size limits that stop the
 * read mid-stream, malformed and truncated bodies, and runs that read the stored file.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as uploadRoute } from "../../app/api/v1/files/route";
import { GET as downloadRoute } from "../../app/api/v1/files/[file]/route";
import { dify } from "../compat/dify";
import { unstructured } from "../compat/unstructured";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { MAX_UPLOAD_BYTES, readFileBytes } from "../services/files";
import { getRunDetail, startRun } from "../services/runs";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { getFileStore, S3FileStore } from "../storage/file-store";
import { startS3TestServer, type S3TestServer } from "../storage/s3-test-server";

const MiB = 1024 * 1024;
const BOUNDARY = "----flowdeck-test-boundary-7MA4YWxkTrZu0gW";

// A real collector, so memory figures start from live data only.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

// ── Multipart bodies made on the fly ─────────────────────────────────────────────────────
type Part =
  | { name: string; value: string }
  | { name: string; filename: string; type: string; size: number; content?: string };

/** One deterministic chunk of generated file content. */
function fileChunk(i: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (i * 2654435761 + 12345) >>> 0;
  for (let j = 0; j + 4 <= size; j += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.writeUInt32LE(x, j);
  }
  for (let j = size - (size % 4); j < size; j++) out[j] = j & 0xff;
  return out;
}

const CHUNK = 256 * 1024;
// Generated files cycle through these chunks, made once; each one sent is a fresh copy, as a
// socket hands a server fresh buffers (so nothing downstream can lean on shared memory).
const CHUNKS = Array.from({ length: 7 }, (_, i) => fileChunk(i, CHUNK));

interface BodyProbe {
  /** Bytes of the body the reader pulled. */
  pulled: number;
  /** SHA-256 of each file part's content, by part index. */
  sha256: Record<number, string>;
  /** Called for every chunk pulled (memory sampling). */
  onChunk?: () => void;
}

/**
 * A multipart body as a pull stream: nothing is produced before the reader asks for it.
 * `cutAt` ends the body after that many bytes (a truncated upload), `failAt` errors the
 * stream there (the client went away).
 */
function multipartBody(parts: Part[], opts: { cutAt?: number; failAt?: number; probe?: BodyProbe } = {}) {
  const probe: BodyProbe = opts.probe ?? { pulled: 0, sha256: {} };
  async function* pieces(): AsyncGenerator<Buffer> {
    for (const [index, part] of parts.entries()) {
      if ("value" in part) {
        yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`);
        continue;
      }
      yield Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.type}\r\n\r\n`,
      );
      const hash = createHash("sha256");
      if (part.content !== undefined) {
        const bytes = Buffer.from(part.content);
        hash.update(bytes);
        yield bytes;
      } else {
        for (let sent = 0, i = 0; sent < part.size; i++) {
          const chunk = Buffer.from(CHUNKS[i % CHUNKS.length].subarray(0, Math.min(CHUNK, part.size - sent)));
          hash.update(chunk);
          sent += chunk.byteLength;
          yield chunk;
        }
      }
      probe.sha256[index] = hash.digest("hex");
      yield Buffer.from("\r\n");
    }
    yield Buffer.from(`--${BOUNDARY}--\r\n`);
  }
  const source = pieces();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await source.next();
        if (next.done) return controller.close();
        let chunk = next.value;
        if (opts.failAt !== undefined && probe.pulled + chunk.byteLength > opts.failAt) {
          return controller.error(new Error("connection reset by the client"));
        }
        if (opts.cutAt !== undefined && probe.pulled + chunk.byteLength >= opts.cutAt) {
          chunk = chunk.subarray(0, opts.cutAt - probe.pulled);
          probe.pulled += chunk.byteLength;
          controller.enqueue(chunk);
          return controller.close();
        }
        probe.pulled += chunk.byteLength;
        probe.onChunk?.();
        controller.enqueue(chunk);
      },
      cancel() {
        void source.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, probe };
}

function request(url: string, headers: Record<string, string>, body: ReadableStream<Uint8Array> | string) {
  return new Request(url, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
    body,
    duplex: "half",
  } as RequestInit);
}

const noParams = { params: Promise.resolve({}) };

// ── Set-up ───────────────────────────────────────────────────────────────────────────────
let s3: S3TestServer;
let actor: Actor;
let key: string;
let docWorkflowUuid: string;

beforeAll(async () => {
  await applyMigrations();
  s3 = await startS3TestServer();
  const user = await db.user.create({ data: { email: "uploads@example.test" } });
  actor = await createWorkspace(user.id, { slug: "uploads", name: "Uploads" });
  key = (await createApiKey(actor, { name: "uploads", role: "member" })).key;
  const doc = await createWorkflow(actor, {
    name: "doc",
    definition: {
      inputs: [{ name: "document", type: "file", accept: [".txt", "text/plain"] }],
      steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.document }}" } }],
      outputs: { text: "{{ steps.read.output.text }}" },
    },
  });
  docWorkflowUuid = doc.uuid;
}, 30_000);

afterAll(async () => {
  await s3?.stop();
  await shutdownSandboxPool();
  await db.$disconnect();
});

async function waitForRun(uuid: string) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

/** Every key in the configured store (a leak shows up here). */
async function storedKeys(): Promise<string[]> {
  const store = getFileStore();
  if (store instanceof S3FileStore) {
    const out = await store.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  }
  const root = path.join(process.env.FLOWDECK_DATA_DIR!, "files");
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

async function upload(body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}) {
  const res = await uploadRoute(request("http://localhost/api/v1/files", { authorization: `Bearer ${key}`, ...headers }, body), noParams);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { code?: string; message?: string } };
}

/** The store's and the database's state, to compare before and after a refused upload. */
async function snapshot() {
  return { keys: await storedKeys(), rows: await db.file.count() };
}

describe.each(["local disk", "S3"] as const)("uploads on %s", (storage) => {
  beforeAll(() => {
    if (storage === "S3") Object.assign(process.env, s3.env);
  });
  afterAll(() => {
    for (const name of Object.keys(s3.env)) delete process.env[name];
  });

  it("uses the store the environment configures", () => {
    expect(getFileStore().constructor.name).toBe(storage === "S3" ? "S3FileStore" : "LocalFileStore");
  });

  it("stores an upload under its workspace key, downloads it, and runs a workflow that reads it", async () => {
    const before = await snapshot();
    const { stream, probe } = multipartBody([
      { name: "note", value: "ignored text field" },
      { name: "file", filename: "notes – é.txt", type: "text/plain", size: 0, content: "words in a stored file" },
    ]);
    const res = await upload(stream);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: "notes – é.txt", size: 22, mime_type: "text/plain" });
    const row = await db.file.findUniqueOrThrow({ where: { id: res.json.id as string } });
    expect(row).toMatchObject({ workspaceId: actor.workspaceId, storageKey: `${actor.workspaceId}/${row.id}`, sha256: probe.sha256[1] });
    // Exactly one new object, at the final key (the temporary one is gone).
    expect(await storedKeys()).toEqual([...before.keys, row.storageKey].sort());

    const download = await downloadRoute(
      new Request(`http://localhost/api/v1/files/${row.id}`, { headers: { authorization: `Bearer ${key}` } }),
      { params: Promise.resolve({ file: row.id }) },
    );
    expect(download.status).toBe(200);
    expect(await download.text()).toBe("words in a stored file");
    expect(Buffer.from(await readFileBytes(actor.workspaceId, row.id)).toString()).toBe("words in a stored file");

    const started = await startRun(actor, { workflow: "doc", inputs: { document: row.id }, origin: "api" });
    const run = await waitForRun(started.uuid);
    expect(run.status).toBe("succeeded");
    expect(run.outputs).toEqual({ text: "words in a stored file" });
  });

  it("streams a 40 MB upload with memory growth far below the file size", async () => {
    const size = 40 * MiB;
    const before = await snapshot();
    // Collect until the figures settle: freed buffers leave the count a little after a collection.
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = process.memoryUsage();
    // `peak`: sampled every few ms, garbage included; `live`: right after a full collection
    // (every 10th sample), i.e. what the upload really holds on to.
    const peak = { rss: 0, arrayBuffers: 0 };
    const live = { rss: 0, arrayBuffers: 0 };
    const record = (into: typeof peak) => {
      const m = process.memoryUsage();
      into.rss = Math.max(into.rss, m.rss - base.rss);
      into.arrayBuffers = Math.max(into.arrayBuffers, m.arrayBuffers - base.arrayBuffers);
    };
    let ticks = 0;
    const sampler = setInterval(() => {
      record(peak);
      if (++ticks % 10 === 0) {
        gc();
        record(live);
      }
    }, 3);
    const probe: BodyProbe = { pulled: 0, sha256: {}, onChunk: () => record(peak) };
    const { stream } = multipartBody([{ name: "file", filename: "big.bin", type: "application/octet-stream", size }], { probe });
    const started = performance.now();
    const res = await upload(stream);
    const ms = performance.now() - started;
    clearInterval(sampler);
    expect(res.status).toBe(201);
    expect(res.json.size).toBe(size);
    const row = await db.file.findUniqueOrThrow({ where: { id: res.json.id as string } });
    expect(row.sha256).toBe(probe.sha256[0]);

    const mb = (n: number) => `${(n / MiB).toFixed(1)} MB`;
    console.log(
      `[upload memory, ${storage}] ${mb(size)} file in ${(ms / 1000).toFixed(2)} s (${mb((size / ms) * 1000)}/s). ` +
        `Growth over the baseline — live (after GC): rss ${mb(live.rss)}, arrayBuffers ${mb(live.arrayBuffers)}; ` +
        `peak (garbage included): rss ${mb(peak.rss)}, arrayBuffers ${mb(peak.arrayBuffers)} (${ticks} samples)`,
    );
    // Buffered whole, the file alone would hold 40 MB of array buffers (and rss with it). The
    // S3 store fills one 5 MiB part while it sends the one before; "live" also counts a part
    // just sent and not yet swept (seen: 6.3, 11.3 and 16.3 MB — one to three parts).
    expect(live.arrayBuffers).toBeLessThan(size / 2);
    expect(live.rss).toBeLessThan(size / 2);
    expect(peak.rss).toBeLessThan(size / 2);

    // Read back through the store: the same bytes.
    const hash = createHash("sha256");
    for await (const chunk of getFileStore().stream(row.storageKey) as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest("hex")).toBe(probe.sha256[0]);
    expect((await storedKeys()).length).toBe(before.keys.length + 1);
    await getFileStore().remove(row.storageKey);
    await db.file.delete({ where: { id: row.id } });
  }, 60_000);

  it("stops reading a file past the upload limit: 413, nothing stored", async () => {
    const before = await snapshot();
    const size = MAX_UPLOAD_BYTES + 10 * MiB;
    const { stream, probe } = multipartBody([{ name: "file", filename: "huge.bin", type: "application/octet-stream", size }]);
    const res = await upload(stream);
    expect(res.status).toBe(413);
    expect(res.json.code).toBe("payload_too_large");
    expect(res.json.message).toMatch(/huge\.bin.*larger than 50 MB/);
    expect(probe.pulled).toBeLessThan(size); // refused while streaming, not after reading it all
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it("a declared Content-Length past the limit is refused before reading", async () => {
    const { stream, probe } = multipartBody([{ name: "file", filename: "a.txt", type: "text/plain", size: 0, content: "x" }]);
    const res = await upload(stream, { "content-length": String(MAX_UPLOAD_BYTES * 2) });
    expect(res.status).toBe(413);
    expect(probe.pulled).toBe(0);
  });

  it("malformed, truncated and broken bodies are a 4xx and leave no file behind", async () => {
    const before = await snapshot();
    const big = (opts: { cutAt?: number; failAt?: number }) =>
      multipartBody([{ name: "file", filename: "cut.bin", type: "application/octet-stream", size: 8 * MiB }], opts).stream;
    const cases: [string, () => Promise<{ status: number; json: { code?: string } }>, number, string][] = [
      ["cut off in the middle of a file (past S3's first part)", () => upload(big({ cutAt: 7 * MiB })), 400, "invalid_body"],
      ["cut off in a part's headers", () => upload(big({ cutAt: 60 })), 400, "invalid_body"],
      ["the client goes away mid-file", () => upload(big({ failAt: 6 * MiB })), 400, "invalid_body"],
      ["no boundary in the content type", () => upload("x", { "content-type": "multipart/form-data" }), 400, "invalid_body"],
      ["a body that is not multipart at all", () => upload("just some text, no boundary lines"), 400, "invalid_body"],
      ["a part header that never ends", () => upload(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n${"X-Pad: y\r\n".repeat(50)}`), 400, "invalid_body"],
      [
        "two files where one is allowed",
        () => upload(multipartBody([
          { name: "file", filename: "a.txt", type: "text/plain", size: 0, content: "one" },
          { name: "file", filename: "b.txt", type: "text/plain", size: 0, content: "two" },
        ]).stream),
        400, "too_many_files",
      ],
      ["a text field past its limit", () => upload(multipartBody([{ name: "note", value: "n".repeat(70 * 1024) }]).stream), 413, "payload_too_large"],
      ["no file at all", () => upload(multipartBody([{ name: "other", value: "x" }]).stream), 422, "validation_error"],
    ];
    for (const [what, send, status, code] of cases) {
      const res = await send();
      expect({ what, status: res.status, code: res.json.code }).toEqual({ what, status, code });
      expect(await snapshot(), what).toEqual(before);
    }
  }, 60_000);

  it("a storage failure is a 500 of ours, not blamed on the client, and keeps nothing", async () => {
    const before = await snapshot();
    const saved = { bucket: process.env.FLOWDECK_S3_BUCKET, dir: process.env.FLOWDECK_DATA_DIR };
    // S3: a bucket that does not exist; disk: a data folder under a regular file.
    if (storage === "S3") process.env.FLOWDECK_S3_BUCKET = "no-such-bucket";
    else {
      const blocker = path.join(saved.dir!, "not-a-folder");
      writeFileSync(blocker, "");
      process.env.FLOWDECK_DATA_DIR = path.join(blocker, "nested");
    }
    try {
      const res = await upload(multipartBody([{ name: "file", filename: "a.bin", type: "application/octet-stream", size: 6 * MiB }]).stream);
      expect(res.status).toBe(500);
      expect(res.json.code).toBe("internal_error");
    } finally {
      if (saved.bucket !== undefined) process.env.FLOWDECK_S3_BUCKET = saved.bucket;
      process.env.FLOWDECK_DATA_DIR = saved.dir;
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a file under another field name is read past, not stored", async () => {
    const before = await snapshot();
    const res = await upload(multipartBody([
      { name: "attachment", filename: "skip.bin", type: "application/octet-stream", size: 3 * MiB },
      { name: "file", filename: "keep.txt", type: "text/plain", size: 0, content: "kept" },
    ]).stream);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: "keep.txt", size: 4 });
    expect((await storedKeys()).length).toBe(before.keys.length + 1);
  });

  it("Dify's upload and Unstructured's run stream their files to this store too", async () => {
    const before = await snapshot();
    const difyRes = await dify.upload(
      request("http://localhost/v1/files/upload", { authorization: `Bearer ${key}` }, multipartBody([
        { name: "user", value: "end-user-1" },
        { name: "file", filename: "dify.txt", type: "text/plain", size: 0, content: "from dify" },
      ]).stream),
      noParams,
    );
    expect(difyRes.status).toBe(201);
    const difyFile = (await difyRes.json()) as { id: string; created_by: string; size: number };
    expect(difyFile).toMatchObject({ created_by: "end-user-1", size: 9 });

    const tooMany = await dify.upload(
      request("http://localhost/v1/files/upload", { authorization: `Bearer ${key}` }, multipartBody([
        { name: "file", filename: "a.txt", type: "text/plain", size: 0, content: "a" },
        { name: "file", filename: "b.txt", type: "text/plain", size: 0, content: "b" },
      ]).stream),
      noParams,
    );
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ code: "too_many_files" });

    const job = await unstructured.runWorkflow(
      request(`http://localhost/api/v1/workflows/${docWorkflowUuid}/run`, { "unstructured-api-key": key }, multipartBody([
        { name: "input_files", filename: "u.txt", type: "text/plain", size: 0, content: "from unstructured" },
      ]).stream),
      { params: Promise.resolve({ workflow: docWorkflowUuid }) },
    );
    expect(job.status).toBe(202);
    const jobInfo = (await job.json()) as { id: string; input_file_ids: string[] };
    const run = await waitForRun(jobInfo.id);
    expect(run.outputs).toEqual({ text: "from unstructured" });

    // A refused run (two files for a one-file input) keeps none of its uploads.
    const refused = await unstructured.runWorkflow(
      request(`http://localhost/api/v1/workflows/${docWorkflowUuid}/run`, { "unstructured-api-key": key }, multipartBody([
        { name: "input_files", filename: "a.txt", type: "text/plain", size: 0, content: "a" },
        { name: "input_files[]", filename: "b.txt", type: "text/plain", size: 0, content: "b" },
      ]).stream),
      { params: Promise.resolve({ workflow: docWorkflowUuid }) },
    );
    expect(refused.status).toBe(422);
    const rows = await db.file.findMany({ where: { id: { in: [difyFile.id, ...jobInfo.input_file_ids] } } });
    expect((await storedKeys()).sort()).toEqual([...before.keys, ...rows.map((r) => r.storageKey)].sort());
    expect(await db.file.count()).toBe(before.rows + 2);
  });
});
