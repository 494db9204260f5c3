/**
 * A small OpenAI-compatible chat server for tests, e2e runs and benchmarks (the machines
 * here have no internet, so it stands in for a real provider).
 *
 *   import { startFakeOpenAI } from "../scripts/fake-openai";
 *   tsx scripts/fake-openai.ts --port 4010 [--api-key sk-…] [--token-delay 20]
 *
 * The reply is derived from the last user message: "Echo: <message>", or N lorem words
 * (one token each) when the message contains `tokens:N`; with response_format json_object
 * the reply is `{"echo": "<message>"}`. The model name picks a misbehaviour:
 *   fail-429 / fail-500  answer with that status and OpenAI's error body
 *   break                stream a few chunks, then drop the connection (no [DONE])
 *   slow                 wait `slowDelayMs` (default 500 ms) before each token
 *   bad-json             ignore response_format and reply with plain text
 * A wrong or missing bearer key gets a 401. Node's http module only.
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The key the server accepts unless told otherwise. */
export const FAKE_OPENAI_API_KEY = "sk-fake-flowdeck";
/** The model listed first and used in replies when a request names none. */
export const FAKE_OPENAI_MODEL = "fake-gpt";

export interface FakeOpenAIOptions {
  /** 0 or absent: a random free port. */
  port?: number;
  host?: string;
  apiKey?: string;
  /** Pause between streamed tokens (default 0). */
  tokenDelayMs?: number;
  /** Pause between tokens for model `slow` (default 500). */
  slowDelayMs?: number;
}

/** One request the server received. */
export interface FakeOpenAIRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: any;
}

export interface FakeOpenAI {
  /** Base URL including `/v1`, e.g. http://127.0.0.1:4010/v1. */
  url: string;
  close(): Promise<void>;
  /** Every request received, in order. */
  requests: FakeOpenAIRequest[];
  /** Streams the client closed before the server finished them (a cancelled request). */
  readonly connectionsClosedEarly: number;
}

const LOREM = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore " +
  "et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris"
).split(" ");

type ChatMessage = { role: string; content: unknown };

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  // The array form: [{type: "text", text}, …]
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  return "";
}

/** A rough token count: words and punctuation runs. */
function countTokens(text: string): number {
  return text.match(/\w+|[^\w\s]+/g)?.length ?? 0;
}

/** The reply to a conversation, as the pieces it is streamed in (one "token" each). */
function replyTokens(messages: ChatMessage[], jsonMode: boolean): string[] {
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const message = contentText(lastUser?.content);
  const wanted = /tokens:(\d+)/.exec(message);
  if (wanted && !jsonMode) {
    const n = Math.min(Number(wanted[1]), 100_000);
    return Array.from({ length: n }, (_, i) => (i === 0 ? "" : " ") + LOREM[i % LOREM.length]);
  }
  const text = jsonMode ? JSON.stringify({ echo: message }) : `Echo: ${message}`;
  // Split after spaces and every few characters, so chunks look like a model's.
  return text.match(/\S{1,4}\s*|\s+/g) ?? [];
}

function errorBody(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts the server; resolves once it listens. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? FAKE_OPENAI_API_KEY;
  const tokenDelayMs = options.tokenDelayMs ?? 0;
  const slowDelayMs = options.slowDelayMs ?? 500;
  const requests: FakeOpenAIRequest[] = [];
  let closedEarly = 0;
  let counter = 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const raw = await readBody(req);
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? "GET", path: url.pathname, authorization: req.headers.authorization, body });

    const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
    if (route !== "GET /v1/models" && route !== "POST /v1/chat/completions") {
      return sendJson(res, 404, errorBody(`Invalid URL (${req.method} ${url.pathname})`, "invalid_request_error", null));
    }
    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer ")) {
      return sendJson(res, 401, errorBody(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
        "invalid_request_error", null,
      ));
    }
    const given = auth.slice("Bearer ".length);
    if (given !== apiKey) {
      const masked = given.length > 8 ? `${given.slice(0, 3)}***${given.slice(-4)}` : "***";
      return sendJson(res, 401, errorBody(`Incorrect API key provided: ${masked}.`, "invalid_request_error", "invalid_api_key"));
    }
    if (route === "GET /v1/models") {
      const ids = [FAKE_OPENAI_MODEL, "fail-429", "fail-500", "break", "slow", "bad-json"];
      return sendJson(res, 200, { object: "list", data: ids.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "flowdeck" })) });
    }
    return chat(body, req, res);
  }

  async function chat(body: any, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!body || typeof body !== "object") {
      return sendJson(res, 400, errorBody("We could not parse the JSON body of your request.", "invalid_request_error", null));
    }
    const messages: ChatMessage[] = Array.isArray(body.messages) ? body.messages : [];
    if (typeof body.model !== "string" || !body.model) {
      return sendJson(res, 400, errorBody("you must provide a model parameter", "invalid_request_error", null));
    }
    if (messages.length === 0) {
      return sendJson(res, 400, errorBody("[] is too short - 'messages'", "invalid_request_error", null));
    }
    const model: string = body.model;
    if (model === "fail-429") {
      return sendJson(res, 429, errorBody("Rate limit reached for requests. Please try again in 1s.", "requests", "rate_limit_exceeded"));
    }
    if (model === "fail-500") {
      return sendJson(res, 500, errorBody("The server had an error while processing your request. Sorry about that!", "server_error", null));
    }
    const jsonMode = body.response_format?.type === "json_object";
    // Like OpenAI: JSON mode needs the word "json" somewhere in the messages.
    if (jsonMode && !messages.some((m) => /json/i.test(contentText(m.content)))) {
      return sendJson(res, 400, errorBody(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        "invalid_request_error", null,
      ));
    }

    let tokens = replyTokens(messages, jsonMode && model !== "bad-json");
    let finishReason = "stop";
    if (Number.isInteger(body.max_tokens) && body.max_tokens < tokens.length) {
      tokens = tokens.slice(0, body.max_tokens);
      finishReason = "length";
    }
    const usage = {
      prompt_tokens: messages.reduce((sum, m) => sum + countTokens(contentText(m.content)) + 4, 0),
      completion_tokens: tokens.length,
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-fake${++counter}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream !== true) {
      return sendJson(res, 200, {
        id, object: "chat.completion", created, model,
        choices: [{ index: 0, message: { role: "assistant", content: tokens.join(""), refusal: null }, logprobs: null, finish_reason: finishReason }],
        usage,
      });
    }

    const includeUsage = body.stream_options?.include_usage === true;
    let finished = false;
    let selfDestroyed = false;
    res.on("close", () => {
      if (!finished && !selfDestroyed) closedEarly++;
    });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) => {
      const chunk = { id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_fake", choices, ...(includeUsage && { usage: null }), ...extra };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };
    const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ index: 0, delta: d, logprobs: null, finish_reason: finish });
    const delay = model === "slow" ? Math.max(slowDelayMs, tokenDelayMs) : tokenDelayMs;

    // `break` drops the connection part-way: after 3 tokens, or half of a shorter reply.
    const breakAt = model === "break" ? Math.min(3, Math.floor(tokens.length / 2)) : -1;
    send([delta({ role: "assistant", content: "", refusal: null })]);
    for (let i = 0; i <= tokens.length; i++) {
      if (res.destroyed) return;
      if (i === breakAt) {
        selfDestroyed = true;
        // Let what was written reach the client first (an SSE comment, ignored by parsers).
        await new Promise<void>((resolve) => res.write(": dropping the connection\n\n", () => resolve()));
        req.socket.destroy();
        return;
      }
      if (i === tokens.length) break;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      else if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve)); // let the socket drain
      if (res.destroyed) return;
      send([delta({ content: tokens[i] })]);
    }
    send([delta({}, finishReason)]);
    if (includeUsage) send([], { usage });
    res.write("data: [DONE]\n\n");
    finished = true;
    res.end();
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(String(error), "server_error", null));
      else res.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    url: `http://${host}:${port}/v1`,
    requests,
    get connectionsClosedEarly() {
      return closedEarly;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// Run as a CLI: tsx scripts/fake-openai.ts --port 4010
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await startFakeOpenAI({
    port: Number(flag("port") ?? 4010),
    host: flag("host"),
    apiKey: flag("api-key"),
    tokenDelayMs: flag("token-delay") ? Number(flag("token-delay")) : undefined,
  });
  console.log(`fake OpenAI listening on ${server.url} (key ${flag("api-key") ?? FAKE_OPENAI_API_KEY})`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
