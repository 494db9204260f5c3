/**
 * Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …). A streamed put is a multipart
 * upload filled through one reused part buffer (5 MiB by default), sent part by part, so an
 * upload holds about one part in memory whatever the file's size.
 *
 * Not @aws-sdk/lib-storage's Upload: its chunker collects the incoming chunks, concatenates
 * them and keeps views of the concatenation, so it held ~26 MiB live for a 40 MiB file even
 * with queueSize 1 (measured against s3rver); this holds ~5.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { lazyWebStream } from "./lazy-web-stream";
import { FileTooLargeError, MeteredStream } from "./metered-stream";
import { checkKey, MissingFileError, type FileStore, type PutResult, type PutStreamOptions } from "./store";

export interface S3StoreConfig {
  bucket: string;
  /** For S3-compatible servers (MinIO, …): requests go there, path-style. Unset = AWS. */
  endpoint?: string;
  region: string;
  /** Prepended to every key, e.g. `flowdeck` (stored as `flowdeck/<key>`). */
  prefix?: string;
  /** Unset: the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bytes per uploaded part (at least 5 MiB, S3's minimum). */
  partSize?: number;
}

/** The S3 settings from the environment, or null when FLOWDECK_S3_BUCKET is not set. */
export function s3ConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3StoreConfig | null {
  const bucket = env.FLOWDECK_S3_BUCKET?.trim();
  if (!bucket) return null;
  return {
    bucket,
    endpoint: env.FLOWDECK_S3_ENDPOINT?.trim() || undefined,
    region: env.FLOWDECK_S3_REGION?.trim() || env.AWS_REGION?.trim() || "us-east-1",
    prefix: env.FLOWDECK_S3_PREFIX ?? "",
  };
}

/** `a/b` → `a/b/`; refuses anything that is not plain path segments. */
function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/^\/+|\/+$/g, "");
  if (!trimmed) return "";
  if (!/^[\w.-]+(?:\/[\w.-]+)*$/.test(trimmed) || trimmed.split("/").some((s) => s === "." || s === "..")) {
    throw new Error(`FLOWDECK_S3_PREFIX must be plain path segments (letters, digits, . _ -), got ${prefix}`);
  }
  return `${trimmed}/`;
}

/** S3 refuses smaller parts (except the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

const isMissing = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
};

export class S3FileStore implements FileStore {
  readonly client: S3Client;
  readonly prefix: string;
  private readonly partSize: number;

  constructor(readonly config: S3StoreConfig) {
    this.prefix = normalizePrefix(config.prefix ?? "");
    const clientConfig: S3ClientConfig = {
      region: config.region,
      credentials: config.credentials,
    };
    if (config.endpoint) {
      clientConfig.endpoint = config.endpoint;
      clientConfig.forcePathStyle = true;
      // Many S3-compatible servers do not know the newer flexible checksums: send them only
      // where an operation requires them.
      clientConfig.requestChecksumCalculation = "WHEN_REQUIRED";
      clientConfig.responseChecksumValidation = "WHEN_REQUIRED";
    }
    this.client = new S3Client(clientConfig);
    this.partSize = Math.max(config.partSize ?? 0, MIN_PART_SIZE);
  }

  private objectKey(key: string): string {
    return this.prefix + checkKey(key);
  }

  async put(key: string, bytes: Uint8Array) {
    await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key), Body: bytes }));
  }

  async putStream(key: string, body: Readable | ReadableStream<Uint8Array>, opts: PutStreamOptions = {}): Promise<PutResult> {
    const meter = new MeteredStream(opts.maxBytes);
    const source = body instanceof Readable ? body : Readable.fromWeb(body as import("node:stream/web").ReadableStream);
    // The object only appears when the upload completes, which needs the meter to end
    // cleanly; a source error or the size limit fails the meter, and so the upload. An upload
    // that fails stops reading the meter (its iterator destroys it), which ends the pipeline.
    const [piped, written] = await Promise.allSettled([pipeline(source, meter), this.upload(key, meter, opts.contentType)]);
    if (piped.status === "rejected" || written.status === "rejected") {
      // Only an upload that completed while its source still failed leaves an object.
      if (written.status === "fulfilled") await this.remove(key).catch(() => {});
      if (meter.tooLarge) throw new FileTooLargeError(opts.maxBytes!);
      // A failing source reaches the upload as its input's error, while an upload that fails
      // leaves the pipeline only a premature close: the upload's reason is the telling one.
      throw written.status === "rejected" ? written.reason : (piped as PromiseRejectedResult).reason;
    }
    return { size: meter.received, sha256: meter.sha256() };
  }

  /**
   * Writes a stream to `key`: one PutObject when it fits in a part, else a multipart upload
   * of full parts sent one at a time (aborted on any failure, so no part is left behind).
   */
  private async upload(key: string, input: AsyncIterable<Buffer>, contentType: string | undefined) {
    const target = { Bucket: this.config.bucket, Key: this.objectKey(key) };
    // With flexible checksums on (AWS), a multipart upload declares its algorithm and every
    // part's checksum is repeated when completing, as the SDK's own uploader does.
    const checksums = (await this.client.config.requestChecksumCalculation()) === "WHEN_SUPPORTED";
    let part: Buffer | undefined;
    let filled = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const sendPart = async () => {
      if (!uploadId) {
        const created = await this.client.send(new CreateMultipartUploadCommand({
          ...target, ContentType: contentType, ...(checksums ? { ChecksumAlgorithm: "CRC32" as const } : {}),
        }));
        uploadId = created.UploadId!;
      }
      const PartNumber = parts.length + 1;
      const out = await this.client.send(new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body: part!.subarray(0, filled) }));
      parts.push({ PartNumber, ETag: out.ETag, ...(out.ChecksumCRC32 ? { ChecksumCRC32: out.ChecksumCRC32 } : {}) });
      filled = 0; // the request is done with the buffer: it is filled again
    };
    try {
      for await (const chunk of input) {
        part ??= Buffer.allocUnsafe(this.partSize);
        for (let offset = 0; offset < chunk.byteLength;) {
          const n = Math.min(chunk.byteLength - offset, this.partSize - filled);
          chunk.copy(part, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === this.partSize) await sendPart();
        }
      }
      if (!uploadId) {
        await this.client.send(new PutObjectCommand({ ...target, ContentType: contentType, Body: part ? part.subarray(0, filled) : new Uint8Array() }));
        return;
      }
      if (filled > 0) await sendPart();
      await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      if (uploadId) {
        // Some S3-compatible test servers do not implement the abort; real ones drop the parts.
        await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => {});
      }
      throw error;
    }
  }

  async get(key: string) {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      if (!out.Body) return new Uint8Array();
      return await out.Body.transformToByteArray();
    } catch (error) {
      throw isMissing(error) ? new MissingFileError(key) : error;
    }
  }

  stream(key: string) {
    const Key = this.objectKey(key);
    return lazyWebStream(
      async (abortSignal) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key }), { abortSignal });
        return (out.Body as Readable | undefined) ?? Readable.from([]);
      },
      (error) => (isMissing(error) ? new MissingFileError(key) : error),
    );
  }

  /** A server-side copy then a delete: the bytes never pass through this process. */
  async move(fromKey: string, toKey: string) {
    const from = this.objectKey(fromKey);
    try {
      await this.client.send(new CopyObjectCommand({
        Bucket: this.config.bucket,
        Key: this.objectKey(toKey),
        CopySource: `${this.config.bucket}/${from.split("/").map(encodeURIComponent).join("/")}`,
      }));
    } catch (error) {
      throw isMissing(error) ? new MissingFileError(fromKey) : error;
    }
    await this.remove(fromKey);
  }

  async remove(key: string) {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
  }

  async sweepTemporary(before: Date) {
    const prefix = `${this.prefix}tmp/`;
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified || object.LastModified >= before) continue;
        await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: object.Key }));
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }
}
