/**
 * For the security tests that speak HTTP to the production server (lib/api/test-server.ts):
 * one request helper that reads any answer (JSON, SSE, NDJSON, HTML) without hanging on a
 * stream, and a real sign-in through Auth.js's credentials form for session cookies.
 */
import { startTestServer, type TestServer } from "../api/test-server";

/** AUTH_SECRET of servers these tests start (sessions are signed with it). */
export const SERVER_AUTH_SECRET = "flowdeck-security-tests-server-secret";

export async function startSecurityServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({ env: { AUTH_SECRET: SERVER_AUTH_SECRET, ...env } });
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The body as text (a stream is read for at most `streamMs`). */
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: any;
}

export interface CallInit extends Omit<RequestInit, "body"> {
  /** A JSON body (sets content-type). */
  json?: unknown;
  body?: BodyInit;
  /** How long to read a streaming body before cutting it off (default 1500 ms). */
  streamMs?: number;
}

/** One request; a streaming answer (SSE, NDJSON) is read until it ends or `streamMs` pass. */
export async function call(url: string, init: CallInit = {}): Promise<Answer> {
  const { json, streamMs = 1500, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set("content-type", "application/json");
  const abort = new AbortController();
  const res = await fetch(url, {
    ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body, redirect: "manual", signal: abort.signal,
  });
  let text = "";
  if (res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const timer = setTimeout(() => abort.abort(), streamMs);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // cut off after streamMs: what arrived is enough
    } finally {
      clearTimeout(timer);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: parsed };
}

/** The cookies a response sets, as a Cookie header value (name=value; …). */
function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]);
}

/** Signs in through Auth.js's credentials form, as the login page does; the session cookie header. */
export async function signIn(base: string, email: string, password: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = cookiesOf(csrf);
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${base}/` }),
  });
  const session = cookiesOf(res).find((c) => c.startsWith("authjs.session-token="));
  if (!session) throw new Error(`sign-in of ${email} failed: ${res.status} ${res.headers.get("location")}`);
  return session;
}
