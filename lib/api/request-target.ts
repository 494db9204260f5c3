/**
 * Requests whose path is not valid percent-encoding (`/api/v1/runs/%zz`, a lone `%`, bytes
 * that are not UTF-8) are refused before they reach Next.js, whose router fails to decode the
 * dynamic segment and answers 500. They are the client's mistake: 400 with the API's error body.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Why the request target's path cannot be decoded, or null when it can. */
export function malformedPath(target: string): string | null {
  const path = target.split(/[?#]/, 1)[0];
  for (const segment of path.split("/")) {
    if (!segment.includes("%")) continue;
    try {
      decodeURIComponent(segment);
    } catch {
      return `The path segment '${segment.slice(0, 80)}' is not valid percent-encoding (UTF-8)`;
    }
  }
  return null;
}

/**
 * Answers a request the server refuses before Next.js sees it, with the API's error body
 * (the connection is closed: an unread body may follow).
 */
export function refuseBeforeNext(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ code, message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), connection: "close" });
  res.end(body);
}

/** Answers 400 for a request with an undecodable path; returns whether it did. */
export function answerMalformedTarget(req: IncomingMessage, res: ServerResponse): boolean {
  const problem = malformedPath(req.url ?? "/");
  if (!problem) return false;
  refuseBeforeNext(res, 400, "bad_request", problem);
  return true;
}
