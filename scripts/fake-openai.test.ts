/** The fake OpenAI server's own contract: the parts the llm step tests do not reach. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_OPENAI_API_KEY, FAKE_OPENAI_MODEL, startFakeOpenAI, type FakeOpenAI } from "./fake-openai";

let server: FakeOpenAI;
const auth = { authorization: `Bearer ${FAKE_OPENAI_API_KEY}`, "content-type": "application/json" };
const chat = (body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${server.url}/chat/completions`, { method: "POST", headers, body: JSON.stringify(body) });

beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());

describe("fake OpenAI server", () => {
  it("lists models", async () => {
    const res = await fetch(`${server.url}/models`, { headers: auth });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.object).toBe("list");
    expect(body.data.map((m: { id: string }) => m.id)).toContain(FAKE_OPENAI_MODEL);
  });

  it("answers a non-streaming completion with usage", async () => {
    const res = await chat({ model: "m1", messages: [{ role: "system", content: "x" }, { role: "user", content: "tokens:7" }] });
    const body = await res.json();
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("m1");
    expect(body.choices[0].message).toMatchObject({ role: "assistant", content: "lorem ipsum dolor sit amet consectetur adipiscing" });
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage.completion_tokens).toBe(7);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 7);
  });

  it("streams chunks, a finish chunk, usage only when asked, then [DONE]", async () => {
    for (const includeUsage of [true, false]) {
      const res = await chat({
        model: "m", stream: true, messages: [{ role: "user", content: "hi there" }],
        ...(includeUsage && { stream_options: { include_usage: true } }),
      });
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const frames = (await res.text()).split("\n\n").filter(Boolean).map((f) => f.replace(/^data: /, ""));
      expect(frames.at(-1)).toBe("[DONE]");
      const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
      expect(chunks[0].choices[0].delta.role).toBe("assistant");
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Echo: hi there");
      const finish = chunks.findIndex((c) => c.choices[0]?.finish_reason === "stop");
      expect(finish).toBeGreaterThan(0);
      if (includeUsage) {
        expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: finish - 1 } });
      } else {
        expect(finish).toBe(chunks.length - 1);
        expect(chunks.some((c) => "usage" in c)).toBe(false);
      }
    }
  });

  it("answers 401 in OpenAI's error shape to a missing or wrong key", async () => {
    for (const headers of [{ "content-type": "application/json" }, { ...auth, authorization: "Bearer nope" }]) {
      const res = await chat({ model: "m", messages: [{ role: "user", content: "x" }] }, headers);
      expect(res.status).toBe(401);
      const body = await res.json();
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: null });
      expect(typeof body.error.message).toBe("string");
    }
  });

  it("refuses JSON mode when no message mentions JSON, like OpenAI", async () => {
    const res = await chat({ model: "m", response_format: { type: "json_object" }, messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(400);
  });

  it("records requests and answers 404 to unknown paths", async () => {
    const res = await fetch(`${server.url}/embeddings`, { method: "POST", headers: auth, body: "{}" });
    expect(res.status).toBe(404);
    expect(server.requests.at(-1)).toMatchObject({ method: "POST", path: "/v1/embeddings", authorization: auth.authorization, body: {} });
  });
});
