/**
 * Uploaded and produced files, scoped to a workspace. A multipart upload is streamed to
 * storage under a temporary key first (`stageUpload`, lib/storage/staged-upload.ts) and
 * becomes a workspace file only when the request that brought it is accepted
 * (`saveStagedUpload`); a refused request discards it.
 */
import { createHash, randomUUID } from "node:crypto";
import { db } from "../db/client";
import { getFileStore } from "../storage/file-store";
import type { StagedUpload } from "../storage/staged-upload";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError } from "./errors";
import { assertCan } from "./permissions";

export { discardStagedUploads, stageUpload, type StagedUpload } from "../storage/staged-upload";

/** Largest upload accepted at all; each file input may set a smaller max_size. */
export const MAX_UPLOAD_BYTES = Number(process.env.FLOWDECK_MAX_UPLOAD_BYTES ?? 50 * 1024 * 1024);

export interface StoredFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
}

const toRef = (f: { id: string; name: string; size: number; mimeType: string }): StoredFile => ({
  id: f.id, name: f.name, size: f.size, mime_type: f.mimeType,
});

/** A file name safe to store and show: no control characters or path separators, ≤ 255 chars. */
const cleanName = (name: string) => name.replace(/[\u0000-\u001f/\\]/g, "_").slice(0, 255) || "upload";

/** Refuses (403) an actor that may not upload, before any byte is read. */
export function assertCanUpload(actor: Actor): void {
  assertCan(actor, "run");
}

export async function saveUploadedFile(
  actor: Actor,
  file: { name: string; type: string; bytes: Uint8Array },
  source: "upload" | "url" | "output" = "upload",
): Promise<StoredFile> {
  assertCan(actor, "run");
  const name = cleanName(file.name);
  if (file.bytes.byteLength > MAX_UPLOAD_BYTES) {
    throw new ValidationError([
      { loc: ["body", "file"], msg: `File is too large (max ${Math.round(MAX_UPLOAD_BYTES / 1048576)} MB)`, type: "value_error.too_large" },
    ]);
  }
  const id = randomUUID();
  const storageKey = `${actor.workspaceId}/${id}`;
  await getFileStore().put(storageKey, file.bytes);
  const row = await db.file.create({
    data: {
      id, workspaceId: actor.workspaceId, name, size: file.bytes.byteLength,
      mimeType: file.type || "application/octet-stream",
      sha256: createHash("sha256").update(file.bytes).digest("hex"),
      storageKey, source, createdById: actor.userId,
    },
  });
  return toRef(row);
}

/** Makes a staged upload a file of the actor's workspace: moved to its final key, recorded. */
export async function saveStagedUpload(
  actor: Actor,
  staged: StagedUpload,
  source: "upload" | "url" | "output" = "upload",
): Promise<StoredFile> {
  assertCan(actor, "run");
  const id = randomUUID();
  const storageKey = `${actor.workspaceId}/${id}`;
  const store = getFileStore();
  await store.move(staged.tempKey, storageKey);
  try {
    const row = await db.file.create({
      data: {
        id, workspaceId: actor.workspaceId, name: cleanName(staged.name), size: staged.size,
        mimeType: staged.type, sha256: staged.sha256, storageKey, source, createdById: actor.userId,
      },
    });
    return toRef(row);
  } catch (error) {
    await store.remove(storageKey).catch(() => {});
    throw error;
  }
}

/** The stored files with these ids in the actor's workspace (unknown ids are simply absent). */
export async function findFilesByIds(workspaceId: number, ids: string[]): Promise<Map<string, StoredFile>> {
  if (ids.length === 0) return new Map();
  const rows = await db.file.findMany({ where: { workspaceId, id: { in: ids } } });
  return new Map(rows.map((r) => [r.id, toRef(r)]));
}

export async function readFileBytes(workspaceId: number, id: string): Promise<Uint8Array> {
  const row = await db.file.findFirst({ where: { workspaceId, id }, select: { storageKey: true } });
  if (!row) throw new NotFoundError("File");
  return getFileStore().get(row.storageKey);
}

export async function getFileForDownload(actor: Actor, id: string) {
  const row = await db.file.findFirst({ where: { workspaceId: actor.workspaceId, id } });
  if (!row) throw new NotFoundError("File");
  return { ...toRef(row), stream: () => getFileStore().stream(row.storageKey) };
}

/** Removes stored files again (a request that stored them was then refused). */
export async function discardFiles(workspaceId: number, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await db.file.findMany({ where: { workspaceId, id: { in: ids } }, select: { storageKey: true } });
  await db.file.deleteMany({ where: { workspaceId, id: { in: ids } } }).catch(() => {});
  await Promise.all(rows.map((r) => getFileStore().remove(r.storageKey).catch(() => {})));
}
