/**
 * Reading a request body safely: content type checked, size capped while it streams, and
 * JSON / YAML parsed. Every failure is an ApiRequestError with a clear 4xx status.
 */
import busboy from "busboy";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseDefinitionText } from "../engine/definition-import";
import { FileTooLargeError, MeteredStream } from "../storage/metered-stream";
import { discardStagedUploads, stageUpload, type StagedUpload } from "../storage/staged-upload";
import type { BodyFormat } from "./endpoint";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * How deeply arrays and objects may nest in a JSON or YAML body. JSON.parse takes any depth,
 * but what handles the value afterwards (hashing it, JSON.stringify when it is stored) recurses
 * and overflows the stack somewhere past a few thousand levels: refused at the edge instead.
 */
export const MAX_BODY_DEPTH = 100;

/** A request the API refuses before it reaches a service (bad body, wrong type, too large). */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const YAML_TYPES = /^(?:application|text)\/(?:x-)?yaml$/;

/** The format a content type announces, or null. */
function formatOf(contentType: string | null): BodyFormat | null {
  const mime = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (JSON_TYPES.test(mime)) return "json";
  if (YAML_TYPES.test(mime)) return "yaml";
  return null;
}

const MEDIA_TYPES: Record<BodyFormat, string> = {
  json: "application/json", yaml: "application/yaml (or text/yaml)", multipart: "multipart/form-data",
};

/** Reads the raw body as text, refusing more than maxBytes (declared or actual). */
async function readText(req: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new ApiRequestError(413, "payload_too_large", `The request body is larger than ${maxBytes} bytes`);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch {
      throw new ApiRequestError(400, "invalid_body", "The request body could not be read");
    }
    if (step.done) break;
    size += step.value.byteLength;
    if (size > maxBytes) {
      discardRest(reader);
      throw tooLarge();
    }
    chunks.push(step.value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ApiRequestError(400, "invalid_body", "The request body is not valid UTF-8");
  }
}

/**
 * The parsed body: `undefined` when it is empty and allowed to be. JSON syntax errors are
 * 400 invalid_json, YAML ones 400 invalid_yaml, an unexpected content type 415.
 */
export async function readRequestBody(
  req: Request,
  opts: { formats: BodyFormat[]; optional: boolean; maxBytes: number },
): Promise<unknown> {
  const contentType = req.headers.get("content-type");
  const format = formatOf(contentType);
  const declaredEmpty = req.headers.get("content-length") === "0";
  if (format === null || !opts.formats.includes(format)) {
    // A bodiless request to an endpoint whose body is optional needs no content type.
    if (opts.optional && (declaredEmpty || !req.body || (await readText(req, opts.maxBytes)) === "")) return undefined;
    throw new ApiRequestError(
      415, "unsupported_media_type",
      `Send the body as ${opts.formats.map((f) => MEDIA_TYPES[f]).join(" or ")}${contentType ? ` (got ${contentType.split(";")[0]})` : " with a Content-Type header"}`,
    );
  }
  const text = await readText(req, opts.maxBytes);
  if (text.trim() === "") {
    if (opts.optional) return undefined;
    throw new ApiRequestError(400, "invalid_body", "The request body is empty");
  }
  let value: unknown;
  if (format === "json") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiRequestError(400, "invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const parsed = parseDefinitionText(text);
    if (!parsed.ok) throw new ApiRequestError(400, "invalid_yaml", `The body is not valid YAML: ${parsed.errors.map((e) => e.message).join("; ")}`);
    value = parsed.value;
  }
  if (nestingDepth(value, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw new ApiRequestError(400, "body_too_deep", `The body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep`);
  }
  return value;
}

/** How deeply `value` nests arrays and objects (a scalar is 0), counted without recursion; stops past `limit`. */
export function nestingDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== "object") continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child && typeof child === "object") stack.push([child, here]);
    }
  }
  return deepest;
}

// ── Bodies read only in part ─────────────────────────────────────────────────────────────

/** Most of an abandoned body read and dropped before it is cancelled after all. */
const DRAIN_LIMIT = 256 * 1024 * 1024;

/**
 * Reads the rest of a body nobody wants and drops it (in the background, up to DRAIN_LIMIT
 * bytes, then it is cancelled). Cancelling at once is what breaks: Next.js feeds a route's
 * request body from the socket's 'data' events into a web stream without a cancel handler,
 * so every chunk that arrives after a cancel throws in its listener (an uncaught exception
 * in the server, for each refused upload that was still arriving).
 */
export function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  void (async () => {
    let seen = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        seen += value.byteLength;
        if (seen > DRAIN_LIMIT) {
          await reader.cancel();
          return;
        }
      }
    } catch {
      /* the client went away */
    }
  })();
}

/** A request body as a Node stream that, destroyed before its end, drains the rest (discardRest). */
function bodyReadable(body: ReadableStream<Uint8Array>): Readable {
  const reader = body.getReader();
  let ended = false;
  return new Readable({
    read() {
      reader.read().then(
        ({ done, value }) => {
          if (done) {
            ended = true;
            this.push(null);
          } else this.push(value);
        },
        (error: unknown) => this.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      if (!ended) discardRest(reader);
      callback(error);
    },
  });
}

// ── multipart/form-data, streamed ────────────────────────────────────────────────────────

export interface MultipartLimits {
  /** Largest file part; a bigger one is a 413 as soon as it passes the limit. */
  maxFileBytes: number;
  /** Most files kept (400 too_many_files past it). Default 10. */
  maxFiles?: number;
  /** Only files under these field names are kept; others are read past and dropped. Default: all. */
  fileFields?: string[];
  /** The whole body, counted as it arrives (413). Default: maxFiles × maxFileBytes + 1 MiB. */
  maxBytes?: number;
  /** Most text fields (400 too_many_fields past it). Default 100. */
  maxFields?: number;
  /** Largest text field (413). Default 64 KiB. */
  maxFieldBytes?: number;
}

export type MultipartValue = string | StagedUpload;

/**
 * A read multipart body: text fields in memory, files already streamed to storage under
 * temporary keys. Save the files you accept (saveStagedUpload), then call `discard()` (in a
 * `finally`) so the ones you did not accept are removed.
 */
export interface MultipartForm {
  /** The first value under `name`, or null. */
  get(name: string): MultipartValue | null;
  /** Every value under `name`, in body order. */
  getAll(name: string): MultipartValue[];
  /** The files under any of `names`, in body order. */
  files(...names: string[]): StagedUpload[];
  discard(): Promise<void>;
}

const mib = (n: number) => `${Math.round((n / 1048576) * 10) / 10} MB`;

/**
 * Reads a multipart/form-data body as it streams: each file part goes straight to the file
 * store (temporary key), so no file is ever held whole in memory. 415 for another content
 * type, 413 past a size limit (checked while streaming), 400 for a malformed or truncated
 * body. On any failure every file already stored for the request is removed again.
 */
export async function readMultipartBody(req: Request, limits: MultipartLimits): Promise<MultipartForm> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw new ApiRequestError(415, "unsupported_media_type", "Send the body as multipart/form-data");
  }
  const maxFiles = limits.maxFiles ?? 10;
  const maxFields = limits.maxFields ?? 100;
  const maxFieldBytes = limits.maxFieldBytes ?? 64 * 1024;
  const maxBytes = limits.maxBytes ?? maxFiles * limits.maxFileBytes + 1024 * 1024;
  const bodyTooLarge = () => new ApiRequestError(413, "payload_too_large", `The request body is larger than ${mib(maxBytes)}`);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLarge();

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      defParamCharset: "utf8", // file names as browsers and HTTP clients send them
      limits: { fields: maxFields, fieldSize: maxFieldBytes, headerPairs: 20 },
    });
  } catch (error) {
    throw new ApiRequestError(400, "invalid_body", `The multipart body could not be read: ${(error as Error).message}`);
  }

  const entries: { name: string; value: MultipartValue | null }[] = [];
  const staged: StagedUpload[] = [];
  const parts: Readable[] = [];
  const staging: Promise<void>[] = [];
  let kept = 0;
  let failure: unknown = null;
  const fail = (error: unknown) => {
    failure ??= error;
    parser.destroy(); // stops reading the body; a file being stored sees its stream end early
  };

  parser.on("file", (name, stream, info) => {
    // Ending the parse early destroys the part being read with an error; whoever reads it
    // (the store) sees that, a skipped part must not turn it into an uncaught exception.
    stream.on("error", () => {});
    parts.push(stream);
    // Busboy reports a malformed part header by an error event and then goes on parsing the
    // chunk at hand: a part it hands out after that (the parser already torn down) never ends.
    if (failure !== null || parser.destroyed || (limits.fileFields && !limits.fileFields.includes(name))) {
      stream.resume();
      return;
    }
    if (++kept > maxFiles) {
      stream.resume();
      fail(new ApiRequestError(400, "too_many_files", `At most ${maxFiles} file${maxFiles === 1 ? "" : "s"} per request`));
      return;
    }
    const entry: { name: string; value: MultipartValue | null } = { name, value: null };
    entries.push(entry);
    staging.push(
      stageUpload(stream, { name: info.filename, type: info.mimeType }, limits.maxFileBytes).then(
        (file) => {
          staged.push(file);
          entry.value = file;
        },
        (error) => {
          if (error instanceof FileTooLargeError) {
            fail(new ApiRequestError(413, "payload_too_large", `The file${info.filename ? ` '${info.filename}'` : ""} is larger than ${mib(limits.maxFileBytes)}`));
          } else if (!parser.destroyed) {
            fail(error); // the store failed while the body was fine: a server-side error
          }
          // Otherwise the body broke (truncated, client gone) or was stopped: the parse says so.
        },
      ),
    );
  });
  parser.on("field", (name, value: string | undefined, info) => {
    if (info.valueTruncated) fail(new ApiRequestError(413, "payload_too_large", `The field '${name}' is larger than ${maxFieldBytes} bytes`));
    // Busboy hands out no value for a text part in a charset it cannot decode (e.g. UTF-16).
    else if (typeof value !== "string") fail(new ApiRequestError(400, "invalid_body", `The field '${name}' could not be decoded (${info.mimeType})`));
    else entries.push({ name, value });
  });
  parser.on("fieldsLimit", () => fail(new ApiRequestError(400, "too_many_fields", `At most ${maxFields} form fields per request`)));

  const source = req.body ? bodyReadable(req.body) : Readable.from([]);
  const meter = new MeteredStream(maxBytes);
  try {
    await pipeline(source, meter, parser);
  } catch (error) {
    if (meter.tooLarge) failure ??= bodyTooLarge();
    // Busboy's own words ("Unexpected end of form", "Malformed part header"), or the
    // connection dropping: either way the body is unusable, the client's doing.
    failure ??= new ApiRequestError(400, "invalid_body", `The multipart body could not be read: ${(error as Error).message}`);
    // A part the parser left open would keep its upload waiting forever: end them all.
    for (const part of parts) if (!part.readableEnded) part.destroy(new Error("The multipart body could not be read"));
  }
  await Promise.allSettled(staging);
  if (failure === null && entries.some((e) => e.value === null)) {
    failure = new ApiRequestError(400, "invalid_body", "The multipart body could not be read: a file part ended early");
  }
  if (failure !== null) {
    await discardStagedUploads(staged);
    throw failure;
  }

  const values = (name: string) => entries.filter((e) => e.name === name).map((e) => e.value as MultipartValue);
  return {
    get: (name) => values(name)[0] ?? null,
    getAll: values,
    files: (...names) => entries.filter((e) => names.includes(e.name) && e.value !== null && typeof e.value === "object").map((e) => e.value as StagedUpload),
    discard: () => discardStagedUploads(staged),
  };
}
