/**
 * The fetch every server-side request of Flowdeck goes through (http and llm steps, file URLs
 * in the run API, callbacks). Only http(s), only public addresses unless a host:port is
 * allowlisted, redirects followed by hand with each hop checked again, and a cap on the
 * response size enforced while the body streams. Plain Node + undici: no framework imports.
 *
 * How the check is tied to the connection: requests go through an undici `Agent` whose
 * `connect.lookup` resolves the host, refuses the whole request if ANY resolved address is not
 * public, and hands exactly the checked addresses to the socket. The socket therefore connects
 * to an address we judged, with no second DNS query in between (no DNS-rebinding window), and
 * undici keeps doing the parts that are easy to get wrong (TLS with the right servername,
 * keep-alive pools, decoding, abort). Node skips `lookup` when the host is an IP literal, so
 * literals are checked before the request starts. Allowlisted host:port pairs use a second
 * Agent with the ordinary lookup. undici's own `fetch` is used (not the global one) so the
 * Agent and fetch come from the same undici version; the response is rewrapped as a global
 * `Response` anyway, to put the size cap on its body.
 */
import dns from "node:dns";
import net from "node:net";
import { Agent, fetch as undiciFetch, type Dispatcher } from "undici";
import { checkAddress, FETCH_ALLOW_ENV, isAllowListed, parseAllowList, parseAllowListText, type AllowList } from "./address-policy";

/** Redirects followed before giving up, unless the caller says otherwise. */
export const DEFAULT_MAX_REDIRECTS = 5;
/** Largest response body (decoded bytes) unless the caller says otherwise: 25 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 25 * 1024 * 1024;

/** Base class of the errors the guarded fetch raises. A TypeError, like any fetch network error. */
export class OutboundFetchError extends TypeError {
  constructor(
    readonly code: "blocked_address" | "response_too_large" | "network_error",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OutboundFetchError";
  }
}

/** The request was refused by the network rule; nothing was sent. */
export class OutboundBlockedError extends OutboundFetchError {
  constructor(message: string) {
    super("blocked_address", message);
    this.name = "OutboundBlockedError";
  }
}

/** The response body went past the size limit; the connection was dropped. */
export class ResponseTooLargeError extends OutboundFetchError {
  constructor(
    host: string,
    readonly limit: number,
  ) {
    super("response_too_large", `The response from '${host}' is larger than the limit of ${limit} bytes`);
    this.name = "ResponseTooLargeError";
  }
}

/** Any other failure: bad URL, DNS, refused connection, TLS, too many redirects… */
export class OutboundNetworkError extends OutboundFetchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("network_error", message, options);
    this.name = "OutboundNetworkError";
  }
}

/** Options of createGuardedFetch. */
export interface GuardedFetchOptions {
  /**
   * `host:port` entries that may be reached even though private. When given, it replaces the
   * FLOWDECK_FETCH_ALLOW environment variable (tests pass it instead of touching env).
   */
  allow?: Iterable<string>;
  /** Redirects to follow (default 5); one more is a network error. */
  maxRedirects?: number;
  /** Largest response body in decoded bytes (default 25 MiB). */
  maxResponseBytes?: number;
}

/** The WHATWG fetch contract, guarded; `close()` releases pooled connections. */
export interface GuardedFetch {
  (url: string | URL, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** Headers that carry credentials: dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
/** Headers that describe the request body: dropped when a redirect drops the body. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls that only ever yields public addresses (all of them checked). */
function checkedLookup(hostname: string, options: dns.LookupOptions | number, callback: LookupCallback): void {
  const opts: dns.LookupOptions = typeof options === "number" ? { family: options } : { ...options };
  dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
    if (err) return callback(err, opts.all ? [] : "");
    if (addresses.length === 0) {
      return callback(Object.assign(new Error(`No addresses for ${hostname}`), { code: "ENOTFOUND" }), opts.all ? [] : "");
    }
    for (const { address } of addresses) {
      const verdict = checkAddress(address);
      if (!verdict.public) {
        return callback(new OutboundBlockedError(blockedMessage(hostname, `resolves to ${verdict.reason}`)), opts.all ? [] : "");
      }
    }
    if (opts.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  });
}

function blockedMessage(host: string, why: string): string {
  return `Blocked request to '${host}': it ${why}; only public addresses may be reached`;
}

/** Creates a guarded fetch with its own connection pools. */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const fixedAllow = options.allow === undefined ? null : parseAllowList(options.allow);
  let envAllow: { text: string | undefined; list: AllowList } | null = null;
  const allowList = (): AllowList => {
    if (fixedAllow) return fixedAllow;
    const text = process.env[FETCH_ALLOW_ENV];
    if (!envAllow || envAllow.text !== text) envAllow = { text, list: parseAllowListText(text) };
    return envAllow.list;
  };

  // Created on first use, so importing this module opens nothing.
  let strictAgent: Agent | null = null;
  let openAgent: Agent | null = null;
  const dispatcherFor = (allowed: boolean): Agent => {
    if (allowed) return (openAgent ??= new Agent());
    return (strictAgent ??= new Agent({ connect: { lookup: checkedLookup as never } }));
  };

  const guarded = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    let url = parseUrl(String(input));
    let method = (init.method ?? "GET").toUpperCase();
    let body = init.body ?? null;
    const headers = new Headers(init.headers);
    const redirectMode = init.redirect ?? "follow";
    const allow = allowList();

    for (let hop = 0; ; hop++) {
      const host = url.host;
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new OutboundBlockedError(`Blocked request to '${url.protocol}' URL: only http and https may be fetched`);
      }
      const allowed = isAllowListed(url, allow);
      if (!allowed) {
        const literal = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
        if (net.isIP(literal)) {
          const verdict = checkAddress(literal);
          if (!verdict.public) throw new OutboundBlockedError(blockedMessage(url.hostname, `is ${verdict.reason}`));
        }
      }

      let res: Awaited<ReturnType<typeof undiciFetch>>;
      try {
        res = await undiciFetch(url, {
          ...(init as object),
          method,
          headers: [...headers],
          body: body as never,
          redirect: "manual",
          signal,
          dispatcher: dispatcherFor(allowed) as Dispatcher,
        });
      } catch (error) {
        throw translateError(error, host, signal);
      }

      const location = res.headers.get("location");
      if (!REDIRECT_STATUSES.has(res.status) || location === null || redirectMode === "manual") {
        return wrapResponse(res, { url, redirected: hop > 0, method, limit: maxResponseBytes, host });
      }
      await res.body?.cancel().catch(() => {});
      if (redirectMode === "error") throw new OutboundNetworkError(`'${host}' answered with a redirect, and redirects are not allowed for this request`);
      if (hop >= maxRedirects) throw new OutboundNetworkError(`Too many redirects (more than ${maxRedirects}) starting from '${String(input)}'`);

      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new OutboundNetworkError(`'${host}' redirected to an invalid URL`);
      }
      // Same rules as the fetch standard: 303 (and 301/302 after a POST) become a GET without body.
      if ((res.status === 303 && method !== "GET" && method !== "HEAD") || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = null;
        for (const name of BODY_HEADERS) headers.delete(name);
      } else if (body instanceof ReadableStream) {
        throw new OutboundNetworkError(`'${host}' redirected a request whose body was a stream, which cannot be sent twice`);
      }
      if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      url = next;
    }
  };

  return Object.assign(guarded, {
    async close() {
      const agents = [strictAgent, openAgent].filter((a): a is Agent => a !== null);
      strictAgent = openAgent = null;
      await Promise.all(agents.map((a) => a.close()));
    },
  });
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new OutboundNetworkError(`Invalid URL '${text.length > 200 ? `${text.slice(0, 200)}…` : text}'`);
  }
}

/** Readable words for the error codes a failed connection tends to carry. */
const CAUSE_WORDS: Record<string, string> = {
  ENOTFOUND: "the host name could not be resolved",
  EAI_AGAIN: "the host name could not be resolved (temporary DNS failure)",
  ECONNREFUSED: "the connection was refused",
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was closed",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "no response headers arrived in time",
  UND_ERR_BODY_TIMEOUT: "the response body stalled",
  UND_ERR_SOCKET: "the connection was closed by the other side",
};

/** Maps what undici threw to our errors; an abort surfaces as the signal's reason. */
function translateError(error: unknown, host: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundFetchError) return e;
  }
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const code = (cause as { code?: unknown })?.code;
  const why =
    (typeof code === "string" && CAUSE_WORDS[code]) ||
    (typeof code === "string" && (code.startsWith("ERR_TLS") || code.includes("CERT")) && `TLS failed (${(cause as Error).message})`) ||
    (cause instanceof Error ? cause.message : String(cause));
  return new OutboundNetworkError(`Request to '${host}' failed: ${why}`, { cause });
}

type UndiciResponse = Awaited<ReturnType<typeof undiciFetch>>;

/** A global Response over undici's, its body capped at `limit` decoded bytes. */
function wrapResponse(
  res: UndiciResponse,
  info: { url: URL; redirected: boolean; method: string; limit: number; host: string },
): Response {
  const nullBody = res.body === null || NULL_BODY_STATUSES.has(res.status) || info.method === "HEAD";
  if (nullBody) res.body?.cancel().catch(() => {});
  else {
    // Fail before reading when the server announces too much (undecoded length, so only
    // without content-encoding); the streaming count below catches everything else.
    const declared = Number(res.headers.get("content-length"));
    if (!res.headers.has("content-encoding") && Number.isFinite(declared) && declared > info.limit) {
      res.body!.cancel().catch(() => {});
      throw new ResponseTooLargeError(info.host, info.limit);
    }
  }
  const body = nullBody ? null : limitBody(res.body as unknown as ReadableStream<Uint8Array>, info.limit, info.host);
  const response = new Response(body, { status: res.status, statusText: res.statusText, headers: [...res.headers] });
  Object.defineProperties(response, {
    url: { value: info.url.href, enumerable: true },
    redirected: { value: info.redirected, enumerable: true },
  });
  return response;
}

/** Passes chunks through until more than `limit` bytes went by, then errors and drops the source. */
function limitBody(source: ReadableStream<Uint8Array>, limit: number, host: string): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let received = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        received += value.byteLength;
        if (received > limit) {
          const error = new ResponseTooLargeError(host, limit);
          reader.cancel(error).catch(() => {});
          return controller.error(error);
        }
        controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The process-wide guarded fetch; its allowlist comes from FLOWDECK_FETCH_ALLOW. */
export const guardedFetch: GuardedFetch = createGuardedFetch();
