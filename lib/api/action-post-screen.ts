/**
 * POSTs that Next.js reads as server-action calls, checked before it sees them.
 *
 * A POST to a page path (or to no route at all) carrying a multipart body, or a `Next-Action`
 * header, goes to Next.js's server-action handling: a no-JavaScript form submission, or an
 * action called from the browser. Next.js answers 500 when that body does not parse
 * (multipart without its closing boundary, a reply that is not JSON or refers to what it does
 * not hold) or is over the action body limit. Those are the client's mistakes: here they get
 * 400 / 413 with the API's error body. A body that parses is handed on unchanged (replayed
 * from the buffer it was read into).
 *
 * Route handlers (app/**\/route.ts) take their own bodies, streamed (uploads): their POSTs are
 * never buffered here. Which paths they serve comes from the build's manifests.
 */
import { readFileSync } from "node:fs";
import { IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { formActionProblem, replyArgumentsProblem, replyFormProblem } from "./action-reply-shape";
import { refuseBeforeNext } from "./request-target";

interface RoutesManifest {
  staticRoutes: { page: string; regex: string }[];
  dynamicRoutes: { page: string; regex: string }[];
}

/**
 * Whether a path is served by a route handler, matched as Next.js matches it: static routes
 * first, then dynamic ones in the manifest's order (most specific first).
 */
export function routeHandlerMatcher(distDir: string): (pathname: string) => boolean {
  const manifest = JSON.parse(readFileSync(path.join(distDir, "routes-manifest.json"), "utf8")) as RoutesManifest;
  const appPaths = JSON.parse(readFileSync(path.join(distDir, "server/app-paths-manifest.json"), "utf8")) as Record<string, string>;
  const isHandler = (page: string) => `${page === "/" ? "" : page}/route` in appPaths;
  const routes = [...manifest.staticRoutes, ...manifest.dynamicRoutes].map((r) => ({ regex: new RegExp(r.regex), handler: isHandler(r.page) }));
  return (pathname) => routes.find((r) => r.regex.test(pathname))?.handler ?? false;
}

/** The build's server-action body limit in bytes (next.config.js `serverActions.bodySizeLimit`; Next.js's default 1 MB). */
export function actionBodyLimit(distDir: string): number {
  const files = JSON.parse(readFileSync(path.join(distDir, "required-server-files.json"), "utf8")) as {
    config?: { experimental?: { serverActions?: { bodySizeLimit?: number | string } } };
  };
  const limit = files.config?.experimental?.serverActions?.bodySizeLimit ?? "1mb";
  if (typeof limit === "number") return limit;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!m) throw new Error(`Unreadable serverActions.bodySizeLimit: ${limit}`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? "b").toLowerCase() as "b"];
  return Math.floor(Number(m[1]) * unit);
}

export interface ActionPostScreen {
  isRouteHandler: (pathname: string) => boolean;
  limitBytes: number;
}

type BodyKind = "form" | "reply-text" | "reply-form";

/**
 * How Next.js would read the body as a server-action call, or null when it is none: a
 * no-JavaScript form submission (multipart, no `Next-Action`), or an action's arguments as
 * React's client encodes them (`Next-Action`: JSON text, or a multipart form).
 */
function actionBodyKind(req: IncomingMessage, screen: ActionPostScreen): BodyKind | null {
  // The same tests as Next.js's (server-action-request-meta): a case-sensitive content type.
  if (req.method !== "POST") return null;
  const type = req.headers["content-type"];
  const multipart = type?.startsWith("multipart/form-data") ?? false;
  // A URL-encoded body is never read as an action's arguments (Next.js answers it without).
  const action = typeof req.headers["next-action"] === "string" && type !== "application/x-www-form-urlencoded";
  if (!multipart && !action) return null;
  // Next.js matches a dynamic segment on the path as sent (`..%2F..` is one segment), a static
  // one on the decoded path: a route handler either way is left alone.
  const raw = new URL(req.url ?? "/", "http://x").pathname;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null; // an undecodable path is refused before (request-target.ts)
  }
  if (screen.isRouteHandler(raw) || screen.isRouteHandler(decoded)) return null;
  return !action ? "form" : multipart ? "reply-form" : "reply-text";
}

/** Reads the body, up to `limit` bytes: the bytes, or why there are none (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too_large" | "gone"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off("data", onData);
      req.pause();
      resolve("too_large");
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    // A client that goes away mid-body: nothing to answer (a later resolve is ignored).
    req.once("error", () => resolve("gone"));
    req.once("close", () => resolve("gone"));
  });
}

/**
 * Why the body would not parse the way Next.js reads it, or null when it does. A form post
 * must be a multipart form whose action reference, if any, holds; an action's arguments a
 * JSON array (the whole text, or the form's field "0", after the rows it refers to) holding
 * only what our actions take (action-reply-shape.ts).
 */
async function bodyProblem(kind: BodyKind, body: Buffer, contentType: string): Promise<string | null> {
  if (kind === "reply-text") return replyArgumentsProblem(body.toString("utf8"));
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
  } catch {
    return "The multipart/form-data body does not parse (check the boundary and the closing delimiter)";
  }
  return kind === "form" ? formActionProblem(form) : replyFormProblem(form);
}

/** The same request, its body served from `body` (it was read from the socket already). */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = req.headers;
  copy.rawHeaders = req.rawHeaders;
  copy.httpVersion = req.httpVersion;
  copy.httpVersionMajor = req.httpVersionMajor;
  copy.httpVersionMinor = req.httpVersionMinor;
  copy.complete = true;
  copy.push(body);
  copy.push(null);
  return copy;
}

/**
 * The request to hand to Next.js: `req` itself when it is no server-action call (at once,
 * nothing read), a replay of it when its body parses, or null when it was answered here.
 */
export function screenActionPost(
  req: IncomingMessage, res: ServerResponse, screen: ActionPostScreen,
): IncomingMessage | Promise<IncomingMessage | null> {
  const kind = actionBodyKind(req, screen);
  if (!kind) return req;
  return (async () => {
    const body = await readBody(req, screen.limitBytes);
    if (body === "gone") return null;
    if (body === "too_large") {
      refuseBeforeNext(res, 413, "payload_too_large", `A form or server action body may be at most ${screen.limitBytes} bytes`);
      return null;
    }
    const problem = await bodyProblem(kind, body, req.headers["content-type"] ?? "");
    if (!problem) return replay(req, body);
    refuseBeforeNext(res, 400, "bad_request", problem);
    return null;
  })();
}
