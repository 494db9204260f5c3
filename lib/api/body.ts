/**
 * Reading a request body safely: content type checked, size capped while it streams, and
 * JSON / YAML parsed. Every failure is an ApiRequestError with a clear 4xx status.
 */
import { parseDefinitionText } from "../engine/definition-import";
import type { BodyFormat } from "./endpoint";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

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
      await reader.cancel().catch(() => {});
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
  if (format === "json") {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ApiRequestError(400, "invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = parseDefinitionText(text);
  if (!parsed.ok) throw new ApiRequestError(400, "invalid_yaml", `The body is not valid YAML: ${parsed.errors.map((e) => e.message).join("; ")}`);
  return parsed.value;
}

/**
 * A multipart/form-data body (415 for another content type, 413 past maxBytes, 400 when it
 * cannot be parsed). Still read whole by the platform's parser; streaming uploads to
 * storage is the scale-out work's.
 */
export async function readMultipartBody(req: Request, maxBytes: number): Promise<FormData> {
  if (!req.headers.get("content-type")?.toLowerCase().startsWith("multipart/form-data")) {
    throw new ApiRequestError(415, "unsupported_media_type", "Send the body as multipart/form-data");
  }
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > maxBytes) throw new ApiRequestError(413, "payload_too_large", `The request body is larger than ${maxBytes} bytes`);
  const form = await req.formData().catch(() => null);
  if (!form) throw new ApiRequestError(400, "invalid_body", "The multipart body could not be read");
  return form;
}
