/** The contract every file store keeps (local disk, S3-compatible), and what it shares. */
import type { Readable } from "node:stream";

export { FileTooLargeError } from "./metered-stream";

export interface PutStreamOptions {
  /** Refuse (FileTooLargeError) and keep nothing once the stream passes this many bytes. */
  maxBytes?: number;
  contentType?: string;
}

/** What a streamed put measured on the way. */
export interface PutResult {
  size: number;
  sha256: string;
}

export interface FileStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Streams `body` to `key` without holding it in memory. On any failure (size limit, body
   * error, storage error) nothing is left at `key` and the error is rethrown.
   */
  putStream(key: string, body: Readable | ReadableStream<Uint8Array>, opts?: PutStreamOptions): Promise<PutResult>;
  /** The whole file (MissingFileError when there is none). */
  get(key: string): Promise<Uint8Array>;
  /** The file's bytes as they are read (the stream errors with MissingFileError when there is none). */
  stream(key: string): ReadableStream<Uint8Array>;
  /** Renames a file (an upload accepted under its final key); the old key is gone after. */
  move(fromKey: string, toKey: string): Promise<void>;
  /** Deletes a file; deleting one that does not exist is not an error. */
  remove(key: string): Promise<void>;
  /**
   * Deletes the `tmp/` files (uploads never accepted: a crash between staging and accepting
   * leaves them) last written before `before`; returns how many went.
   */
  sweepTemporary(before: Date): Promise<number>;
}

/** No file is stored under the key. */
export class MissingFileError extends Error {
  constructor(readonly key: string) {
    super(`No stored file under ${key}`);
    this.name = "MissingFileError";
  }
}

/**
 * Keys are made by the files service: `<workspace id>/<uuid>`, or `tmp/<uuid>` while an upload
 * is not accepted yet. Anything else (paths, dot-dot, empty segments) is refused.
 */
export function checkKey(key: string): string {
  if (!/^[\w-]+\/[\w-][\w.-]*$/.test(key)) throw new Error(`Invalid storage key ${key}`);
  return key;
}
