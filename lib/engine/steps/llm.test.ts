/**
 * The llm step through executeWorkflow against the local OpenAI-compatible server
 * (scripts/fake-openai.ts) on a random port: streaming, usage, configuration errors,
 * provider errors and retries, broken streams, cancel and timeout, JSON mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_OPENAI_API_KEY, startFakeOpenAI, type FakeOpenAI } from "../../../scripts/fake-openai";
import { testPorts } from "../test-ports";
import { createGuardedFetch } from "../../net/guarded-fetch";
import { executeWorkflow, type EngineEvent, type RunOutcome } from "../index";

let server: FakeOpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI({ port: 0 });
});

afterAll(async () => {
  await server.close();
});

const providerSecret = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ base_url: server.url, api_key: FAKE_OPENAI_API_KEY, model: "fake-gpt", ...extra });

interface RunOptions {
  config: Record<string, unknown>;
  secrets?: Record<string, string>;
  inputs?: Record<string, unknown>;
  retries?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

async function runLlm(options: RunOptions): Promise<{ outcome: RunOutcome; events: EngineEvent[] }> {
  const secrets = options.secrets ?? { llm: providerSecret() };
  const events: EngineEvent[] = [];
  const outcome = await executeWorkflow({
    definition: {
      inputs: [],
      steps: [{
        id: "ask", kind: "llm", timeout_ms: options.timeoutMs ?? 10_000, retries: options.retries ?? 0, retry_backoff_ms: 10,
        config: options.config,
      }],
      outputs: { answer: "{{ steps.ask.output }}" },
    } as never,
    inputs: options.inputs ?? {},
    emit: (e) => void events.push(e),
    signal: options.signal,
    ports: testPorts({
      fetch: (url, init) => globalThis.fetch(url, init),
      getSecret: async (name) => (Object.hasOwn(secrets, name) ? secrets[name] : null),
    }),
  });
  return { outcome, events };
}

const chunksOf = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.type === "text_chunk" ? [e.text] : []));
const answer = (outcome: RunOutcome) => outcome.outputs?.answer as any;
const lastChatRequest = () => server.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;

describe("llm step", () => {
  it("streams the reply as text chunks, in order, and reports usage as run tokens", async () => {
    const { outcome, events } = await runLlm({
      config: { prompt: "Hello {{ inputs.name }}, how are you today?" },
      inputs: { name: "Ada" },
    });
    expect(outcome.status).toBe("succeeded");
    const out = answer(outcome);
    expect(out.text).toBe("Echo: Hello Ada, how are you today?");
    const chunks = chunksOf(events);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join("")).toBe(out.text);
    expect(events.every((e) => e.type !== "text_chunk" || e.step_id === "ask")).toBe(true);
    expect(out.model).toBe("fake-gpt");
    expect(out.finish_reason).toBe("stop");
    expect(out.usage.completion_tokens).toBe(chunks.length);
    expect(out.usage.total_tokens).toBe(out.usage.prompt_tokens + out.usage.completion_tokens);
    expect(out.usage.total_tokens).toBeGreaterThan(0);
    expect(outcome.totalTokens).toBe(out.usage.total_tokens);
    const finished = events.find((e) => e.type === "run_finished");
    expect(finished?.type === "run_finished" && finished.total_tokens).toBe(out.usage.total_tokens);

    const request = lastChatRequest();
    expect(request.authorization).toBe(`Bearer ${FAKE_OPENAI_API_KEY}`);
    expect(request.body).toMatchObject({
      model: "fake-gpt", stream: true, stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Hello Ada, how are you today?" }],
    });
    expect(request.body).not.toHaveProperty("response_format");
  });

  it("sends system, messages, temperature, max_tokens and the step's model", async () => {
    const { outcome } = await runLlm({
      config: {
        model: "{{ inputs.model }}",
        system: "You answer {{ inputs.style }}.",
        messages: [
          { role: "user", content: "First" },
          { role: "assistant", content: "Noted" },
          { role: "user", content: "Say {{ inputs.word }} please" },
        ],
        temperature: 0.2,
        max_tokens: 3,
      },
      inputs: { model: "other-model", style: "briefly", word: "hi" },
    });
    expect(outcome.status).toBe("succeeded");
    expect(lastChatRequest().body).toMatchObject({
      model: "other-model", temperature: 0.2, max_tokens: 3,
      messages: [
        { role: "system", content: "You answer briefly." },
        { role: "user", content: "First" },
        { role: "assistant", content: "Noted" },
        { role: "user", content: "Say hi please" },
      ],
    });
    const out = answer(outcome);
    expect(out.model).toBe("other-model");
    expect(out.finish_reason).toBe("length");
    expect(out.usage.completion_tokens).toBe(3);
  });

  it("streams a 2,000-token reply whole", async () => {
    const { outcome, events } = await runLlm({ config: { prompt: "tokens:2000" } });
    expect(outcome.status).toBe("succeeded");
    const out = answer(outcome);
    expect(out.usage.completion_tokens).toBe(2000);
    expect(out.text.split(" ")).toHaveLength(2000);
    const chunks = chunksOf(events);
    expect(chunks).toHaveLength(2000);
    expect(chunks.join("")).toBe(out.text);
    expect(outcome.totalTokens).toBe(out.usage.total_tokens);
  });

  it("fails with llm_not_configured, and says how to fix it, when the secret is missing", async () => {
    const before = server.requests.length;
    const { outcome } = await runLlm({ config: { prompt: "hi" }, secrets: {} });
    expect(server.requests.length).toBe(before);
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.code).toBe("llm_not_configured");
    expect(outcome.error?.step_id).toBe("ask");
    const message = outcome.error!.message;
    expect(message).toContain('secret named "llm"');
    expect(message).toContain('"base_url"');
    expect(message).toContain('"api_key"');
    expect(message).toContain('"model"');
    expect(message).toMatch(/Secrets settings/);
    expect(message).toMatch(/API/);
  });

  it("names the provider secret the step asks for", async () => {
    const { outcome } = await runLlm({ config: { provider: "openai.work", prompt: "hi" } });
    expect(outcome.error?.code).toBe("llm_not_configured");
    expect(outcome.error?.message).toContain('secret named "openai.work"');
  });

  it("treats a malformed secret as not configured, without quoting its value", async () => {
    const leaky = "sk-LEAKY-0123456789";
    for (const value of [`not json ${leaky}`, JSON.stringify({ api_key: leaky }), JSON.stringify({ base_url: "ftp://x", api_key: leaky })]) {
      const { outcome } = await runLlm({ config: { prompt: "hi" }, secrets: { llm: value } });
      expect(outcome.error?.code).toBe("llm_not_configured");
      expect(outcome.error?.message).toContain('secret "llm"');
      expect(outcome.error?.message).toContain("base_url");
      expect(outcome.error?.message).not.toContain(leaky);
    }
  });

  it("needs a model from the step or the secret", async () => {
    const before = server.requests.length;
    const { outcome } = await runLlm({
      config: { prompt: "hi" },
      secrets: { llm: JSON.stringify({ base_url: server.url, api_key: FAKE_OPENAI_API_KEY }) },
    });
    expect(outcome.error?.code).toBe("llm_not_configured");
    expect(outcome.error?.message).toMatch(/model/);
    expect(server.requests.length).toBe(before);
  });

  it("reports a refused key (401) as llm_http_error, without the key", async () => {
    const wrongKey = "sk-wrong-key-that-must-not-leak";
    const { outcome } = await runLlm({ config: { prompt: "hi" }, secrets: { llm: providerSecret({ api_key: wrongKey }) } });
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.code).toBe("llm_http_error");
    expect(outcome.error?.message).toMatch(/refused the API key \(401\)/);
    expect(outcome.error?.message).toMatch(/Incorrect API key/);
    expect(outcome.error?.message).not.toContain(wrongKey);
  });

  it("masks the key when a provider's error repeats it", async () => {
    const key = "sk-echoed-secret-42";
    const echoing = async () => Response.json({ error: { message: `Key ${key} is not valid` } }, { status: 403, statusText: "Forbidden" });
    const events: EngineEvent[] = [];
    const outcome = await executeWorkflow({
      definition: { inputs: [], steps: [{ id: "ask", kind: "llm", config: { prompt: "hi" } }], outputs: {} } as never,
      inputs: {}, emit: (e) => void events.push(e),
      ports: testPorts({ fetch: echoing, getSecret: async () => providerSecret({ api_key: key }) }),
    });
    expect(outcome.error?.code).toBe("llm_http_error");
    expect(outcome.error?.message).toContain("403 Forbidden");
    expect(outcome.error?.message).toContain("Key *** is not valid");
    expect(JSON.stringify(events)).not.toContain(key);
  });

  it.each([
    ["fail-429", 429, /Rate limit/],
    ["fail-500", 500, /had an error/],
  ])("reports %s as llm_http_error with the status and the provider's message", async (model, status, text) => {
    const { outcome } = await runLlm({ config: { model, prompt: "hi" } });
    expect(outcome.error?.code).toBe("llm_http_error");
    expect(outcome.error?.message).toContain(String(status));
    expect(outcome.error?.message).toMatch(text);
  });

  it("retries a provider error when the step allows it", async () => {
    const before = server.requests.length;
    const { outcome, events } = await runLlm({ config: { model: "fail-429", prompt: "hi" }, retries: 1 });
    expect(outcome.error?.code).toBe("llm_http_error");
    expect(server.requests.length - before).toBe(2);
    expect(events.filter((e) => e.type === "step_started").map((e) => e.type === "step_started" && e.attempt)).toEqual([1, 2]);
    const finished = events.find((e) => e.type === "step_finished");
    expect(finished?.type === "step_finished" && finished.attempts).toBe(2);
  });

  it("does not retry what another attempt cannot fix: a missing provider, a refused key", async () => {
    const missing = await runLlm({ config: { provider: "nobody", prompt: "hi" }, retries: 2 });
    expect(missing.outcome.error?.code).toBe("llm_not_configured");
    expect(missing.events.filter((e) => e.type === "step_started")).toHaveLength(1);
    const before = server.requests.length;
    const refused = await runLlm({ config: { prompt: "hi" }, retries: 2, secrets: { llm: providerSecret({ api_key: "sk-wrong" }) } });
    expect(refused.outcome.error?.message).toMatch(/refused the API key/);
    expect(server.requests.length - before).toBe(1);
  });

  it("goes through the host's network rule: a private provider is refused unless allowlisted", async () => {
    const guarded = createGuardedFetch({ allow: [] });
    const allowed = createGuardedFetch({ allow: [new URL(server.url).host] });
    try {
      const run = (fetch: typeof guarded) =>
        executeWorkflow({
          definition: { inputs: [], steps: [{ id: "ask", kind: "llm", timeout_ms: 10_000, retries: 2, retry_backoff_ms: 10, config: { prompt: "hi" } }], outputs: {} } as never,
          inputs: {}, emit: () => {},
          ports: testPorts({ fetch: (url, init) => fetch(url, init), getSecret: async () => providerSecret() }),
        });
      const before = server.requests.length;
      const blocked = await run(guarded);
      expect(blocked.error).toMatchObject({ code: "blocked_address" });
      expect(blocked.error?.message).toMatch(/FLOWDECK_FETCH_ALLOW/);
      expect(server.requests.length).toBe(before);
      expect((await run(allowed)).status).toBe("succeeded");
    } finally {
      await Promise.all([guarded.close(), allowed.close()]);
    }
  });

  it("fails with llm_stream_broken when the connection drops before the end", async () => {
    const { outcome, events } = await runLlm({ config: { model: "break", prompt: "one two three four five six seven eight" } });
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.code).toBe("llm_stream_broken");
    expect(outcome.error?.message).toMatch(/ended before the reply was complete/);
    // What arrived before the break was still streamed.
    expect(chunksOf(events).length).toBe(3);
  });

  it("fails with llm_http_error when the provider cannot be reached", async () => {
    const { outcome } = await runLlm({
      config: { prompt: "hi" },
      secrets: { llm: providerSecret({ base_url: "http://127.0.0.1:1/v1" }) },
    });
    expect(outcome.error?.code).toBe("llm_http_error");
    expect(outcome.error?.message).toMatch(/Could not reach the LLM provider at 127\.0\.0\.1:1/);
  });

  it("cancelling mid-stream ends the run within a second and the server sees the connection closed", async () => {
    const closedBefore = server.connectionsClosedEarly;
    const controller = new AbortController();
    let cancelledAt = 0;
    const events: EngineEvent[] = [];
    const run = executeWorkflow({
      definition: { inputs: [], steps: [{ id: "ask", kind: "llm", config: { model: "slow", prompt: "a b c d e f g h i j k l" } }], outputs: {} } as never,
      inputs: {},
      signal: controller.signal,
      emit: (e) => {
        events.push(e);
        if (e.type === "text_chunk" && !cancelledAt) {
          cancelledAt = Date.now();
          controller.abort();
        }
      },
      ports: testPorts({ fetch: (url, init) => globalThis.fetch(url, init), getSecret: async () => providerSecret() }),
    });
    const outcome = await run;
    const endedAt = Date.now();
    expect(cancelledAt).toBeGreaterThan(0);
    expect(outcome.status).toBe("cancelled");
    expect(outcome.error?.code).toBe("cancelled");
    expect(endedAt - cancelledAt).toBeLessThan(1_000);
    // The slow stream had many tokens left: the server must see the client go away.
    for (let i = 0; i < 100 && server.connectionsClosedEarly === closedBefore; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connectionsClosedEarly).toBe(closedBefore + 1);
    expect(chunksOf(events)).toHaveLength(1);
  });

  it("times out a slow stream with the step's time limit", async () => {
    const closedBefore = server.connectionsClosedEarly;
    const started = Date.now();
    const { outcome } = await runLlm({ config: { model: "slow", prompt: "a b c d e f" }, timeoutMs: 700 });
    expect(outcome.error?.code).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1_700);
    for (let i = 0; i < 100 && server.connectionsClosedEarly === closedBefore; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connectionsClosedEarly).toBe(closedBefore + 1);
  });

  it("json mode asks for a JSON object and parses the reply", async () => {
    const { outcome } = await runLlm({ config: { prompt: "Summarise {{ inputs.topic }}", response_format: "json" }, inputs: { topic: "bees" } });
    expect(outcome.status).toBe("succeeded");
    const out = answer(outcome);
    expect(out.json).toEqual({ echo: "Summarise bees" });
    expect(JSON.parse(out.text)).toEqual(out.json);
    const body = lastChatRequest().body;
    expect(body.response_format).toEqual({ type: "json_object" });
    // The fake, like OpenAI, refuses JSON mode unless a message mentions JSON: the step adds the note.
    expect(body.messages[0]).toEqual({ role: "system", content: "Reply with a single JSON object." });
  });

  it("json mode fails with llm_bad_json when the reply is not JSON", async () => {
    const { outcome } = await runLlm({ config: { model: "bad-json", system: "Answer in JSON.", prompt: "hello", response_format: "json" } });
    expect(outcome.error?.code).toBe("llm_bad_json");
    expect(outcome.error?.message).toContain("Echo: hello");
    expect(lastChatRequest().body.messages[0]).toEqual({ role: "system", content: "Answer in JSON." });
  });

  it("rejects a config with both prompt and messages, or neither", async () => {
    for (const config of [{ prompt: "a", messages: [{ role: "user", content: "b" }] }, {}]) {
      const { outcome } = await runLlm({ config });
      expect(outcome.error?.code).toBe("validation");
      expect(outcome.error?.message).toMatch(/either prompt or messages/);
    }
  });
});
