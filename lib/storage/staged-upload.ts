/**
 * Uploads on their way in: streamed to the file store under a temporary key (`tmp/<uuid>`)
 * while the request is read, moved to a workspace key by the files service once the request
 * is accepted, removed otherwise. A crash in between leaves only `tmp/` keys behind.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { getFileStore } from "./file-store";

/** An upload streamed to storage under a temporary key, not yet a file of any workspace. */
export interface StagedUpload {
  /** The name as sent (the files service cleans it when saving). */
  name: string;
  type: string;
  size: number;
  sha256: string;
  tempKey: string;
}

/**
 * Streams an upload to a temporary key, never holding it whole. Past `maxBytes` it fails with
 * FileTooLargeError and nothing is kept.
 */
export async function stageUpload(
  body: Readable | ReadableStream<Uint8Array>,
  file: { name?: string; type?: string },
  maxBytes: number,
): Promise<StagedUpload> {
  const tempKey = `tmp/${randomUUID()}`;
  const type = file.type || "application/octet-stream";
  const { size, sha256 } = await getFileStore().putStream(tempKey, body, { maxBytes, contentType: type });
  return { name: file.name ?? "", type, size, sha256, tempKey };
}

/** Removes staged uploads that were not saved (removing a saved one's old key is harmless). */
export async function discardStagedUploads(staged: StagedUpload[]): Promise<void> {
  const store = getFileStore();
  await Promise.all(staged.map((s) => store.remove(s.tempKey).catch(() => {})));
}

/**
 * Uploads left staged by a process that stopped mid-request (a crash, a kill): no request
 * takes an hour to be accepted, so `tmp/` files older than that are nobody's. Run at start
 * and every hour by the web process (instrumentation.ts).
 */
export async function sweepAbandonedUploads(olderThanMs = 3_600_000): Promise<number> {
  return getFileStore().sweepTemporary(new Date(Date.now() - olderThanMs));
}
