/**
 * HTTP request step: one request through the host's guarded fetch (`ctx.ports.fetch`, which
 * decides which addresses may be reached), templated URL, query, headers and body, and the
 * response parsed into `{ status, ok, headers, body }`. The step's `timeout_ms` and a cancelled
 * run abort the request through `ctx.signal`.
 */
import { z } from "zod";
import { renderTemplate, resolveValueTemplate, stringifyValue, type TemplateScope } from "../template";
import { defineStepKind, StepError, type StepContext } from "./types";
import { clipText } from "../../text/clip";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** The most a step may ask for; the host's fetch may cap lower. */
const MAX_RESPONSE_BYTES = 25 * 1024 * 1024;
/** How much of an error response is read for the message. */
const ERROR_BODY_BYTES = 16 * 1024;
const EXCERPT_CHARS = 300;
/** Client errors that another attempt may fix (timeout, too early, rate limited); other 4xx are final. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const configSchema = z
  .object({
    method: z.string().trim().toUpperCase().pipe(z.enum(METHODS)).default("GET"),
    /** `{{ }}` placeholders are inserted as they are (not URL-encoded): put parameters in `query`. */
    url: z.string().trim().min(1),
    headers: z.record(z.string(), z.string()).default({}),
    /** Appended to the URL's own query; a list repeats the parameter. Values are templates. */
    query: z.record(z.string().min(1), z.union([scalar, z.array(scalar)])).default({}),
    /**
     * A string is sent as is after rendering (a string that is one placeholder for an object or
     * list is sent as JSON); any other JSON value is sent as JSON, placeholders in its strings
     * keeping the type of what they point at.
     */
    body: z.json().optional(),
    /** `auto` parses JSON content types and reads everything else as text. */
    response: z.enum(["auto", "json", "text"]).default("auto"),
    max_response_bytes: z.number().int().positive().max(MAX_RESPONSE_BYTES).default(DEFAULT_MAX_RESPONSE_BYTES),
    /** Fail with `http_error` on a status of 400 or more. */
    fail_on_status: z.boolean().default(true),
  })
  .superRefine((config, ctx) => {
    if (config.body !== undefined && (config.method === "GET" || config.method === "HEAD")) {
      ctx.addIssue({ code: "custom", path: ["body"], message: `a ${config.method} request cannot have a body` });
    }
    for (const name of Object.keys(config.headers)) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: "custom", path: ["headers", name], message: `'${name}' is not a valid HTTP header name` });
    }
    const url = config.url;
    if (!url.startsWith("{{") && !/^https?:\/\//i.test(url)) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "must start with http:// or https:// (or be a {{ template }})" });
    }
  });

type HttpConfig = z.output<typeof configSchema>;

/** What the http step returns. */
export interface HttpOutput {
  status: number;
  ok: boolean;
  /** Response headers, lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON, text, or null for an empty body (`""` in text mode). */
  body: unknown;
}

/** The "http" step kind. */
export const httpStep = defineStepKind<HttpConfig>({
  kind: "http",
  configSchema,
  durable: true,
  async run(ctx) {
    const { config, signal } = ctx;
    const request = buildRequest(config, ctx.scope);
    const where = `${request.url.origin}${request.url.pathname}`; // no query: it may hold keys
    const started = Date.now();

    let res: Response;
    try {
      res = await ctx.ports.fetch(request.url.href, { method: config.method, headers: request.headers, body: request.body, signal });
    } catch (error) {
      throw toStepError(error, request.url.host, signal);
    }

    const failed = config.fail_on_status && res.status >= 400;
    const limit = failed ? Math.min(ERROR_BODY_BYTES, config.max_response_bytes) : config.max_response_bytes;
    const read = await readBody(res, limit, failed, request.url.host, signal);
    const text = decode(read.bytes, res.headers.get("content-type"));
    ctx.emit({
      type: "log", level: failed ? "warn" : "info",
      message: `${config.method} ${where} → ${res.status} (${Date.now() - started} ms, ${read.bytes.byteLength}${read.truncated ? "+" : ""} bytes)`,
    });
    if (failed) {
      const excerpt = clip(text);
      throw new StepError(
        "http_error",
        `${config.method} ${where} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${excerpt ? `: ${excerpt}` : ""}`,
        { retryable: res.status >= 500 || RETRYABLE_4XX.has(res.status) },
      );
    }

    const output: HttpOutput = {
      status: res.status,
      ok: res.ok,
      headers: headersObject(res.headers),
      body: parseBody(text, config.response, res, request.url.host, ctx),
    };
    return output;
  },
});

interface BuiltRequest {
  url: URL;
  headers: Headers;
  body: string | undefined;
}

/** Renders the templates and checks the result; deterministic problems are `validation` errors. */
function buildRequest(config: HttpConfig, scope: TemplateScope): BuiltRequest {
  const rendered = renderTemplate(config.url, scope).trim();
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new StepError("validation", `The URL is not valid after rendering: '${clip(rendered, 200)}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new StepError("validation", `Only http and https URLs can be requested (got ${url.protocol})`);
  }
  for (const [name, value] of Object.entries(config.query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      url.searchParams.append(name, typeof item === "string" ? renderTemplate(item, scope) : String(item));
    }
  }

  const headers = new Headers();
  for (const [name, tpl] of Object.entries(config.headers)) {
    try {
      headers.set(name, renderTemplate(tpl, scope));
    } catch {
      throw new StepError("validation", `Header '${name}' has a value that cannot be sent (line breaks or control characters)`);
    }
  }

  let body: string | undefined;
  if (typeof config.body === "string") {
    const value = resolveValueTemplate(config.body, scope);
    body = value !== null && typeof value === "object" ? JSON.stringify(value) : stringifyValue(value);
    if (value !== null && typeof value === "object" && !headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (config.body !== undefined) {
    body = JSON.stringify(renderJson(config.body, scope));
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return { url, headers, body };
}

/** A JSON value with the placeholders in its strings resolved (a lone placeholder keeps its type). */
function renderJson(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") return resolveValueTemplate(value, scope) ?? null;
  if (Array.isArray(value)) return value.map((item) => renderJson(item, scope));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderJson(item, scope);
    return out;
  }
  return value;
}

/** Reads the body up to `limit` bytes; past it, fails (or with `truncate`, stops and says so). */
async function readBody(
  res: Response,
  limit: number,
  truncate: boolean,
  host: string,
  signal: AbortSignal,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!res.body) return { bytes: new Uint8Array(), truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        if (!truncate) {
          throw new StepError("response_too_large", `The response from '${host}' is larger than max_response_bytes (${limit})`, { retryable: false });
        }
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        return { bytes: concat(chunks, size), truncated: true };
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    if (truncate && !signal.aborted && !(error instanceof StepError)) return { bytes: concat(chunks, size), truncated: true };
    throw toStepError(error, host, signal);
  } finally {
    // Drops the connection when the body was not read to its end.
    reader.cancel().catch(() => {});
  }
  return { bytes: concat(chunks, size), truncated: false };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Text in the charset the content type names (UTF-8 when it names none or an unknown one). */
function decode(bytes: Uint8Array, contentType: string | null): string {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? "")?.[1];
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(bytes);
}

function isJsonType(contentType: string | null): boolean {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return type === "application/json" || type === "text/json" || type.endsWith("+json");
}

function parseBody(text: string, mode: HttpConfig["response"], res: Response, host: string, ctx: StepContext<HttpConfig>): unknown {
  if (mode === "text") return text;
  if (text.trim() === "") return null;
  if (mode === "auto" && !isJsonType(res.headers.get("content-type"))) return text;
  try {
    return JSON.parse(text);
  } catch {
    // A JSON content type with another body, or an error page when JSON was asked for while
    // fail_on_status is off: keep the text rather than lose the response.
    if (mode === "json" && res.ok) {
      throw new StepError("invalid_json", `The response from '${host}' is not valid JSON: ${clip(text)}`);
    }
    ctx.emit({ type: "log", level: "warn", message: "The response is not valid JSON; its body is given as text" });
    return text;
  }
}

function headersObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
  return out;
}

/** One line, at most `max` characters. */
function clip(text: string, max = EXCERPT_CHARS): string {
  return clipText(text.replace(/\s+/g, " ").trim(), max);
}

/**
 * Maps what the fetch port threw. The engine does not import the host's network code, so the
 * guard's errors are recognized by their `code` (blocked_address, response_too_large).
 */
function toStepError(error: unknown, host: string, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (error instanceof StepError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  // Refused by policy or too big: the same request would meet the same answer.
  if (code === "blocked_address" || code === "response_too_large") return new StepError(code, message, { retryable: false });
  if (code === "network_error") return new StepError("network_error", message);
  // Another fetch (undici's "fetch failed"): the useful part is in the cause.
  const cause = (error as { cause?: unknown })?.cause;
  const detail = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : message;
  return new StepError("network_error", `Request to '${host}' failed: ${detail}`);
}
