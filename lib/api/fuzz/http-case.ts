/**
 * One fuzz request, sent byte for byte: node:http instead of fetch, so a path keeps its `..`
 * and odd escapes (fetch would normalize them), and a body can be invalid UTF-8 or lie about
 * its type. A printable form of each case makes a failure readable and reproducible by hand.
 */
import http from "node:http";
import zlib from "node:zlib";

/** Which 4xx body a route promises (checked by lib/api/fuzz/error-shapes.ts). */
export type ErrorShape = "flowdeck" | "dify" | "vellum" | "promptlayer" | "fastapi" | "share" | "none";

export interface HttpCase {
  /** Route family for the tallies, e.g. `api:startRun` or `dify:run`. */
  family: string;
  method: string;
  /** Raw request target: path and query, exactly as sent. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The error body shape this route promises for a 4xx. */
  shape: ErrorShape;
  /** Another route's shape that is fine too: the path reaches that route (a documented overlap). */
  altShape?: ErrorShape;
  /**
   * The target may no longer reach the route (a path parameter with `/`, `..`, an empty
   * segment…): a 404 from the router (no route body) is then fine.
   */
  mayMissRoute?: boolean;
  /** What was done to the request (for the failure message). */
  notes: string[];
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body was cut off at the read limit. */
  truncated: boolean;
  ms: number;
}

/** Largest answer kept; the rest is read and dropped (streams are always read to their end). */
const KEEP_BYTES = 256 * 1024;

/**
 * Sends one case to `origin` (http://127.0.0.1:port) and reads the whole answer. Throws on a
 * connection failure or when `timeoutMs` pass (a hung request is a finding too).
 */
export function sendCase(origin: string, c: HttpCase, timeoutMs = 20_000): Promise<HttpResult> {
  const url = new URL(origin);
  const started = Date.now();
  return new Promise<HttpResult>((resolve, reject) => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.body && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length" || h.toLowerCase() === "transfer-encoding")) {
      headers["content-length"] = String(c.body.byteLength);
    }
    let req: http.ClientRequest;
    try {
      // A fresh connection per case: a case that lies about its length or is answered before its
      // body is read must not leave bytes on a socket the next case would reuse.
      // Large answer headers are fine (a redirect repeats a long query in Location and Refresh).
      req = http.request({ host: url.hostname, port: url.port, method: c.method, path: c.target, headers, agent: false, maxHeaderSize: 1 << 20 });
    } catch (error) {
      reject(new Error(`could not send the request: ${(error as Error).message}`));
      return;
    }
    const timer = setTimeout(() => {
      req.destroy(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on("data", (chunk: Buffer) => {
        if (kept < KEEP_BYTES) {
          chunks.push(chunk);
          kept += chunk.byteLength;
        } else truncated = true;
      });
      res.on("end", () => {
        clearTimeout(timer);
        let body = Buffer.concat(chunks);
        // Cases may ask for compression: read the answer as the client would.
        const encoding = String(res.headers["content-encoding"] ?? "");
        try {
          if (!truncated && encoding === "gzip") body = zlib.gunzipSync(body);
          else if (!truncated && encoding === "br") body = zlib.brotliDecompressSync(body);
          else if (!truncated && encoding === "deflate") body = zlib.inflateSync(body);
        } catch {
          /* left as received: the shape check reports it */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, truncated, ms: Date.now() - started });
      });
      res.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(c.body);
  });
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/** The case as a short readable block: method, target, headers, body (clipped). */
export function describeCase(c: HttpCase): string {
  const body = c.body
    ? (() => {
        const text = c.body.toString("utf8");
        const printable = /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes("\ufffd");
        return printable ? clip(text, 1500) : `base64:${clip(c.body.toString("base64"), 1500)}`;
      })()
    : "(no body)";
  const headers = Object.entries(c.headers).map(([k, v]) => `${k}: ${clip(v, 200)}`).join("\n  ");
  return `[${c.family}] ${c.method} ${clip(c.target, 600)}\n  ${headers}\n  body (${c.body?.byteLength ?? 0} bytes): ${body}\n  notes: ${c.notes.join("; ") || "-"}`;
}

/** The answer, short. */
export function describeResult(r: HttpResult): string {
  const type = String(r.headers["content-type"] ?? "");
  return `${r.status} ${type} (${r.ms} ms): ${clip(r.body.toString("utf8"), 800)}`;
}
