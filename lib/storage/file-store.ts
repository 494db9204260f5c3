/**
 * Where file bytes live: an S3-compatible bucket when FLOWDECK_S3_BUCKET is set (scale-out,
 * shared by every process), local disk (FLOWDECK_DATA_DIR/files) otherwise.
 */
import path from "node:path";
import { LocalFileStore } from "./local-file-store";
import { S3FileStore, s3ConfigFromEnv } from "./s3-file-store";
import type { FileStore } from "./store";

export { checkKey, FileTooLargeError, MissingFileError } from "./store";
export type { FileStore, PutResult, PutStreamOptions } from "./store";
export { LocalFileStore } from "./local-file-store";
export { S3FileStore, s3ConfigFromEnv, type S3StoreConfig } from "./s3-file-store";

export function dataDir(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.cwd(), process.env.FLOWDECK_DATA_DIR ?? "data");
}

/** The store the environment configures. */
export function fileStoreFromEnv(): FileStore {
  const s3 = s3ConfigFromEnv();
  return s3 ? new S3FileStore(s3) : new LocalFileStore(path.join(dataDir(), "files"));
}

let current: { signature: string; store: FileStore } | undefined;

/** The configured store, kept while its settings stay the same (tests switch them). */
export function getFileStore(): FileStore {
  const e = process.env;
  const signature = [
    e.FLOWDECK_S3_BUCKET, e.FLOWDECK_S3_ENDPOINT, e.FLOWDECK_S3_REGION, e.FLOWDECK_S3_PREFIX, e.FLOWDECK_DATA_DIR,
  ].join("\u0000");
  if (current?.signature !== signature) current = { signature, store: fileStoreFromEnv() };
  return current.store;
}
