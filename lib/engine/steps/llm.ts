/**
 * LLM step: one chat completion from an OpenAI-compatible endpoint, streamed. The endpoint
 * and key come from a workspace secret (through ctx.ports.getSecret); each piece of text is
 * emitted as a text_chunk as it arrives, and the reported usage is added to the run's tokens.
 * The api key never appears in an error, a log or an output.
 */
import { createParser } from "eventsource-parser";
import { z } from "zod";
import { renderTemplate } from "../template";
import { defineStepKind, StepError, type StepContext } from "./types";
import { clipText } from "../../text/clip";

/**
 * The value of an LLM provider secret (JSON): where to send requests, the key, and the model
 * used when a step names none. Hosts validate secrets with it when they are saved.
 */
export const llmProviderSecretSchema = z.object({
  base_url: z.url({ protocol: /^https?$/, error: "base_url must be an http(s) URL such as https://api.openai.com/v1" }),
  api_key: z.string({ error: "api_key must be a string" }).min(1, "api_key cannot be empty"),
  model: z.string({ error: "model must be a string" }).min(1, "model cannot be empty").optional(),
});
/** A parsed LLM provider secret. */
export type LlmProviderSecret = z.infer<typeof llmProviderSecretSchema>;

/** An example secret value, as shown in messages that explain how to configure one. */
export const LLM_PROVIDER_SECRET_EXAMPLE = '{"base_url": "https://api.openai.com/v1", "api_key": "sk-...", "model": "gpt-4o-mini"}';

const messageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

const configSchema = z
  .object({
    /** Name of the workspace secret that holds the provider. */
    provider: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "provider must name a workspace secret (letters, digits, '_', '.', '-')").default("llm"),
    /** Template; empty or absent uses the provider's default model. */
    model: z.string().optional(),
    system: z.string().optional(),
    prompt: z.string().optional(),
    messages: z.array(messageSchema).min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    response_format: z.enum(["text", "json"]).default("text"),
  })
  .refine((c) => (c.prompt === undefined) !== (c.messages === undefined), {
    message: "Give either prompt or messages (exactly one of them)",
    path: ["prompt"],
  });

type LlmConfig = z.output<typeof configSchema>;
type ChatMessage = z.infer<typeof messageSchema>;

/** Token counts as the provider reported them. */
export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the llm step returns. */
export interface LlmOutput {
  text: string;
  /** The model that answered, as the provider named it. */
  model: string;
  /** "stop", "length", … (null if the provider sent none before [DONE]). */
  finish_reason: string | null;
  /** Null only when the provider did not report usage. */
  usage: LlmUsage | null;
  /** The parsed reply, with response_format "json". */
  json?: unknown;
}

/** Longest single SSE event accepted (guards against a peer that never ends a line). */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;
/** How much of an error body is read and quoted. */
const MAX_ERROR_CHARS = 500;

/** The "llm" step kind. */
export const llmStep = defineStepKind<LlmConfig>({
  kind: "llm",
  configSchema,
  durable: true,
  async run(ctx) {
    const { config } = ctx;
    const provider = await loadProvider(ctx);
    const redact = (text: string) => provider.api_key.length >= 4 ? text.split(provider.api_key).join("***") : text;

    const model = (config.model !== undefined ? renderTemplate(config.model, ctx.scope).trim() : "") || provider.model;
    if (!model) {
      throw new StepError(
        "llm_not_configured",
        `No model to call: set "model" on step '${ctx.stepId}', or add a default "model" to the workspace secret '${config.provider}' ` +
          `(its value looks like ${LLM_PROVIDER_SECRET_EXAMPLE}).`,
        { retryable: false },
      );
    }
    const body = {
      model,
      messages: buildMessages(config, ctx),
      stream: true,
      stream_options: { include_usage: true },
      ...(config.temperature !== undefined && { temperature: config.temperature }),
      ...(config.max_tokens !== undefined && { max_tokens: config.max_tokens }),
      ...(config.response_format === "json" && { response_format: { type: "json_object" } }),
    };

    try {
      const result = await complete(ctx, provider, body);
      const output: LlmOutput = { text: result.text, model: result.model ?? model, finish_reason: result.finishReason, usage: result.usage };
      if (config.response_format === "json") output.json = parseJsonReply(result.text, result.finishReason);
      return output;
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (error instanceof StepError) throw new StepError(error.code, redact(error.message), { retryable: error.retryable });
      throw new StepError("step_error", redact(error instanceof Error ? error.message : String(error)));
    }
  },
});

/** Reads and checks the provider secret; every problem ends in a message that says how to fix it. */
async function loadProvider(ctx: StepContext<LlmConfig>): Promise<LlmProviderSecret> {
  const name = ctx.config.provider;
  const howToFix =
    `add a workspace secret named "${name}" whose value is ${LLM_PROVIDER_SECRET_EXAMPLE} ` +
    `(base_url of any OpenAI-compatible API; model optional) in the workspace's Secrets settings, or over the API.`;
  const raw = await ctx.ports.getSecret(name);
  if (raw === null || raw.trim() === "") {
    throw new StepError("llm_not_configured", `No LLM provider is configured for step '${ctx.stepId}': ${howToFix}`, { retryable: false });
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    // JSON.parse's own message quotes the text, which holds the key: do not repeat it.
    throw new StepError("llm_not_configured", `The workspace secret "${name}" is not valid JSON. To fix it, ${howToFix}`, { retryable: false });
  }
  const parsed = llmProviderSecretSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    throw new StepError("llm_not_configured", `The workspace secret "${name}" is not a valid LLM provider (${where}${issue.message}). To fix it, ${howToFix}`, { retryable: false });
  }
  return parsed.data;
}

/** The conversation to send: rendered templates, plus a JSON instruction where JSON mode needs one. */
function buildMessages(config: LlmConfig, ctx: StepContext<LlmConfig>): ChatMessage[] {
  const render = (tpl: string) => renderTemplate(tpl, ctx.scope);
  const messages: ChatMessage[] = [];
  if (config.system !== undefined) messages.push({ role: "system", content: render(config.system) });
  if (config.messages) for (const m of config.messages) messages.push({ role: m.role, content: render(m.content) });
  else messages.push({ role: "user", content: render(config.prompt ?? "") });
  // OpenAI refuses json_object mode unless the conversation mentions JSON.
  if (config.response_format === "json" && !messages.some((m) => /json/i.test(m.content))) {
    const note = "Reply with a single JSON object.";
    if (messages[0].role === "system") messages[0] = { role: "system", content: `${messages[0].content}\n\n${note}` };
    else messages.unshift({ role: "system", content: note });
  }
  return messages;
}

interface Completion {
  text: string;
  model: string | undefined;
  finishReason: string | null;
  usage: LlmUsage | null;
}

/** Sends the request and reads the reply (streamed, or whole if the provider ignores `stream`). */
async function complete(ctx: StepContext<LlmConfig>, provider: LlmProviderSecret, body: object): Promise<Completion> {
  const url = `${provider.base_url.replace(/\/+$/, "")}/chat/completions`;
  const host = new URL(url).host;
  let res: Response;
  try {
    res = await ctx.ports.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${provider.api_key}` },
      body: JSON.stringify(body),
      signal: ctx.signal,
    });
  } catch (error) {
    if (ctx.signal.aborted || error instanceof StepError) throw error;
    // The host's network rule refused the provider's address: say so, and do not retry.
    if ((error as { code?: unknown })?.code === "blocked_address") {
      throw new StepError("blocked_address", `${(error as Error).message}. To use a provider on a private network, list it in FLOWDECK_FETCH_ALLOW.`, { retryable: false });
    }
    throw new StepError("llm_http_error", `Could not reach the LLM provider at ${host}: ${describeNetworkError(error)}`);
  }
  if (!res.ok) throw await httpError(res, host, ctx.config.provider);

  const type = res.headers.get("content-type") ?? "";
  if (type.includes("application/json")) return wholeCompletion(await res.json(), ctx);
  if (!res.body) throw new StepError("llm_stream_broken", `The LLM provider at ${host} answered with an empty body`);
  return readStream(res.body, ctx, host);
}

/** Reads the SSE stream: emits each content delta, collects finish reason, usage and model. */
async function readStream(stream: ReadableStream<Uint8Array>, ctx: StepContext<LlmConfig>, host: string): Promise<Completion> {
  const out: Completion = { text: "", model: undefined, finishReason: null, usage: null };
  const state = { done: false, problem: null as StepError | null };
  const parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onError(error) {
      if (error.type === "max-buffer-size-exceeded") {
        state.problem ??= new StepError("llm_stream_broken", `The LLM provider at ${host} sent an event larger than ${MAX_EVENT_CHARS} characters`);
      }
    },
    onEvent(event) {
      if (state.done || state.problem) return;
      if (event.data === "[DONE]") {
        state.done = true;
        return;
      }
      let chunk: any;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        state.problem = new StepError("llm_stream_broken", `The LLM provider at ${host} sent a stream event that is not JSON: ${clip(event.data)}`);
        return;
      }
      if (chunk?.error) {
        state.problem = new StepError("llm_http_error", `The LLM provider at ${host} reported an error mid-stream: ${errorMessageOf(chunk) ?? clip(event.data)}`);
        return;
      }
      if (typeof chunk?.model === "string" && chunk.model) out.model = chunk.model;
      const choice = Array.isArray(chunk?.choices) ? chunk.choices[0] : undefined;
      const text = choice?.delta?.content;
      if (typeof text === "string" && text !== "") {
        out.text += text;
        ctx.emit({ type: "text_chunk", text });
      }
      if (typeof choice?.finish_reason === "string") out.finishReason = choice.finish_reason;
      if (chunk?.usage && typeof chunk.usage === "object") {
        out.usage = readUsage(chunk.usage);
        ctx.addTokens(out.usage.total_tokens);
      }
    },
  });

  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let readError: unknown = null;
  try {
    while (!state.done && !state.problem) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    readError = error;
  } finally {
    // Closes the connection if the reply is not read to its end (an error, or nothing after [DONE]).
    reader.cancel().catch(() => {});
  }
  if (state.problem) throw state.problem;
  // Some compatible servers end the stream after the finish chunk without [DONE]; accept that.
  if (!state.done && out.finishReason === null) {
    const cause = readError ? ` (${describeNetworkError(readError)})` : "";
    throw new StepError(
      "llm_stream_broken",
      `The connection to the LLM provider at ${host} ended before the reply was complete, after ${out.text.length} characters${cause}`,
    );
  }
  return out;
}

/** A provider that answered `stream: true` with a plain chat.completion object. */
function wholeCompletion(body: any, ctx: StepContext<LlmConfig>): Completion {
  const choice = body?.choices?.[0];
  const text = typeof choice?.message?.content === "string" ? choice.message.content : "";
  if (text) ctx.emit({ type: "text_chunk", text });
  const usage = body?.usage && typeof body.usage === "object" ? readUsage(body.usage) : null;
  if (usage) ctx.addTokens(usage.total_tokens);
  return { text, model: typeof body?.model === "string" ? body.model : undefined, finishReason: choice?.finish_reason ?? null, usage };
}

function readUsage(raw: any): LlmUsage {
  const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
  const prompt = count(raw.prompt_tokens);
  const completion = count(raw.completion_tokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: count(raw.total_tokens) || prompt + completion };
}

/** A non-2xx answer as an llm_http_error with the status and the provider's own message. */
async function httpError(res: Response, host: string, provider: string): Promise<StepError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // the body is only for the message
  }
  let detail: string | undefined;
  try {
    detail = errorMessageOf(JSON.parse(text));
  } catch {
    // not JSON: quote the text
  }
  detail ??= clip(text.trim()) || res.statusText || "no details";
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  if (res.status === 401) {
    return new StepError(
      "llm_http_error",
      `The LLM provider at ${host} refused the API key (401): ${detail}. Check api_key in the workspace secret "${provider}".`,
      { retryable: false },
    );
  }
  // Rate limits, timeouts and server errors may pass; other client errors will not.
  const retryable = res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
  return new StepError("llm_http_error", `The LLM provider at ${host} answered ${status}: ${detail}`, { retryable });
}

/** The message in an OpenAI-style error body ({error: {message}}), or a similar shape. */
function errorMessageOf(body: any): string | undefined {
  const candidates = [body?.error?.message, body?.error, body?.message, body?.detail];
  const found = candidates.find((c) => typeof c === "string" && c.trim() !== "");
  return found === undefined ? undefined : clip(found);
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${error.message}: ${(cause as { code?: string }).code ?? cause.message}`;
  return error.message;
}

/** Parses a JSON-mode reply, tolerating a Markdown code fence around it. */
function parseJsonReply(text: string, finishReason: string | null): unknown {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  try {
    return JSON.parse(fenced ? fenced[1] : text);
  } catch {
    const cut = finishReason === "length" ? " (the reply was cut off by max_tokens)" : "";
    throw new StepError("llm_bad_json", `The model's reply is not valid JSON${cut}: ${clip(text) || "(empty reply)"}`);
  }
}

const clip = (text: string) => clipText(text, MAX_ERROR_CHARS);
