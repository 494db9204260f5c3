/**
 * File inputs given by URL: fetched server-side through the guarded fetch (public addresses
 * only, size capped while streaming) and stored like an upload, so the run sees an ordinary
 * file reference. The caller discards the stored files if the request is then rejected, so
 * nothing stays behind for a refused request.
 */
import { createHash, randomUUID } from "node:crypto";
import { db } from "../db/client";
import type { InputSpec } from "../engine";
import { guardedFetch, OutboundFetchError } from "../net/guarded-fetch";
import { getFileStore } from "../storage/file-store";
import type { Actor } from "../schemas/workspace";
import { ValidationError, type ErrorDetail } from "./errors";
import { MAX_UPLOAD_BYTES } from "./files";

const FETCH_TIMEOUT_MS = Number(process.env.FLOWDECK_FILE_URL_TIMEOUT_MS ?? 30_000);

/** The URL a file input value names, if it names one: "https://…" or {url: "https://…"}. */
export function fileUrlOf(value: unknown): string | null {
  const text = typeof value === "string" ? value : value && typeof value === "object" ? (value as { url?: unknown }).url : null;
  return typeof text === "string" && /^https?:\/\//i.test(text.trim()) ? text.trim() : null;
}

/** A name for the fetched file: Content-Disposition's filename, else the URL's last segment. */
function fileNameFor(url: URL, disposition: string | null): string {
  const star = disposition?.match(/filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i)?.[1];
  const plain = disposition?.match(/filename\s*=\s*"?([^";]+)"?/i)?.[1];
  let name = star ?? plain ?? "";
  try {
    name = decodeURIComponent(name.trim());
  } catch {
    /* keep it as sent */
  }
  if (!name) name = decodeURIComponent(url.pathname.split("/").filter(Boolean).pop() ?? "") || url.hostname;
  return name.replace(/[\u0000-\u001f/\\]/g, "_").slice(0, 255);
}

async function fetchBytes(url: string): Promise<{ name: string; type: string; bytes: Uint8Array }> {
  const res = await guardedFetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { "user-agent": "Flowdeck/1 (file input)" } });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`The server answered ${res.status} ${res.statusText}`.trim());
  }
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`The file is larger than ${Math.round(MAX_UPLOAD_BYTES / 1048576)} MB`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_UPLOAD_BYTES) {
        await reader.cancel().catch(() => {});
        throw new Error(`The file is larger than ${Math.round(MAX_UPLOAD_BYTES / 1048576)} MB`);
      }
      chunks.push(value);
    }
  }
  const type = (res.headers.get("content-type") ?? "application/octet-stream").split(";")[0].trim() || "application/octet-stream";
  return { name: fileNameFor(new URL(res.url || url), res.headers.get("content-disposition")), type, bytes: Buffer.concat(chunks) };
}

function reason(error: unknown): string {
  if (error instanceof OutboundFetchError) return error.message;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `No answer within ${FETCH_TIMEOUT_MS / 1000} s`;
  return error instanceof Error ? error.message : String(error);
}

/** Files stored for one request; `discard` removes them again. */
export interface FetchedFiles {
  ids: string[];
  discard(): Promise<void>;
}

/**
 * Replaces every URL among the file inputs by the id of the fetched, stored file. Fetches run
 * in parallel; any failure is a 422 naming the input (and the files already stored are removed).
 */
export async function fetchUrlFileInputs(
  actor: Actor,
  specs: InputSpec[],
  inputs: Record<string, unknown>,
): Promise<{ inputs: Record<string, unknown>; fetched: FetchedFiles }> {
  const jobs: { loc: (string | number)[]; url: string; set: (id: string) => void }[] = [];
  const out = { ...inputs };
  for (const spec of specs) {
    if (spec.type !== "file" && spec.type !== "file_list") continue;
    const value = out[spec.name];
    if (spec.type === "file_list" && Array.isArray(value)) {
      const list = [...value];
      out[spec.name] = list;
      list.forEach((item, i) => {
        const url = fileUrlOf(item);
        if (url) jobs.push({ loc: ["inputs", spec.name, i], url, set: (id) => (list[i] = id) });
      });
    } else {
      const url = fileUrlOf(value);
      if (url) jobs.push({ loc: ["inputs", spec.name], url, set: (id) => (out[spec.name] = spec.type === "file_list" ? [id] : id) });
    }
  }
  const stored: { id: string; key: string }[] = [];
  const fetched: FetchedFiles = {
    ids: [],
    async discard() {
      if (stored.length === 0) return;
      await db.file.deleteMany({ where: { workspaceId: actor.workspaceId, id: { in: stored.map((s) => s.id) } } }).catch(() => {});
      await Promise.all(stored.map((s) => getFileStore().remove(s.key).catch(() => {})));
    },
  };
  if (jobs.length === 0) return { inputs, fetched };

  const errors: ErrorDetail[] = [];
  await Promise.all(
    jobs.map(async (job) => {
      try {
        const file = await fetchBytes(job.url);
        const id = randomUUID();
        const key = `${actor.workspaceId}/${id}`;
        await getFileStore().put(key, file.bytes);
        stored.push({ id, key });
        await db.file.create({
          data: {
            id, workspaceId: actor.workspaceId, name: file.name || "download", size: file.bytes.byteLength, mimeType: file.type,
            sha256: createHash("sha256").update(file.bytes).digest("hex"), storageKey: key, source: "url", createdById: actor.userId,
          },
        });
        fetched.ids.push(id);
        job.set(id);
      } catch (error) {
        errors.push({ loc: job.loc, msg: `Could not fetch ${job.url}: ${reason(error)}`, type: "value_error.url" });
      }
    }),
  );
  if (errors.length) {
    await fetched.discard();
    throw new ValidationError(errors);
  }
  return { inputs: out, fetched };
}
