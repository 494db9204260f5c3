// The engine never imports lib/net; this test plays the host and hands the guarded fetch in as a port.
import { afterEach, describe, expect, it } from "vitest";
import { createGuardedFetch, type GuardedFetch } from "../../net/guarded-fetch";
import { startTestServer, waitFor, type TestServer } from "../../net/test-server";
import { validateDefinition, workflowDefinitionSchema } from "../definition";
import type { EngineEvent } from "../events";
import { executeWorkflow } from "../run-workflow";
import { testPorts } from "../test-ports";

const servers: TestServer[] = [];
const clients: GuardedFetch[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(handler);
  servers.push(server);
  return server;
}

function fetchAllowing(...servers: TestServer[]): GuardedFetch {
  const f = createGuardedFetch({ allow: servers.map((s) => `127.0.0.1:${s.port}`) });
  clients.push(f);
  return f;
}

interface RunOptions {
  config: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  step?: Record<string, unknown>;
  fetch?: GuardedFetch;
  signal?: AbortSignal;
}

async function runHttp({ config, inputs = {}, step = {}, fetch, signal }: RunOptions) {
  const definition = workflowDefinitionSchema.parse({
    inputs: Object.keys(inputs).map((name) => ({ name, type: typeof inputs[name] === "number" ? "number" : "text" })),
    steps: [{ id: "call", kind: "http", retry_backoff_ms: 10, ...step, config }],
    outputs: { response: "{{ steps.call.output }}" },
  });
  const events: EngineEvent[] = [];
  const outcome = await executeWorkflow({
    definition, inputs, signal, emit: (e) => void events.push(e),
    ports: testPorts(fetch ? { fetch } : {}),
  });
  return { outcome, events, response: outcome.outputs?.response as { status: number; ok: boolean; headers: Record<string, string>; body: unknown } };
}

describe("http step", () => {
  it("GETs JSON and outputs status, ok, headers and the parsed body", async () => {
    const api = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-request-id": "r-1" });
      res.end(JSON.stringify({ hello: "world", n: [1, 2] }));
    });
    const { outcome, response, events } = await runHttp({ config: { url: `${api.origin}/greeting` }, fetch: fetchAllowing(api) });
    expect(outcome.status).toBe("succeeded");
    expect(response).toMatchObject({ status: 200, ok: true, body: { hello: "world", n: [1, 2] } });
    expect(response.headers["x-request-id"]).toBe("r-1");
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(api.requests[0]).toMatchObject({ method: "GET", url: "/greeting" });
    expect(events.some((e) => e.type === "log" && e.message.startsWith(`GET ${api.origin}/greeting → 200`))).toBe(true);
  });

  it("POSTs a JSON body with templated values, query parameters and headers", async () => {
    const api = await serve((_req, res) => {
      res.writeHead(201, { "content-type": "application/json" });
      res.end('{"id":7}');
    });
    const { outcome, response } = await runHttp({
      inputs: { name: "Ada Lovelace", age: 36, team: "a&b" },
      config: {
        method: "post",
        url: `${api.origin}/teams/{{ inputs.age }}/members?existing=1`,
        query: { q: "{{ inputs.team }}", tag: ["x", "{{ inputs.age }}"], limit: 5 },
        headers: { "X-User": "{{ inputs.name }}", Authorization: "Bearer t-{{ inputs.age }}" },
        body: { user: "{{ inputs.name }}", age: "{{ inputs.age }}", note: "hi {{ inputs.name }}", tags: ["{{ inputs.team }}"], fixed: true },
      },
      fetch: fetchAllowing(api),
    });
    expect(outcome.status).toBe("succeeded");
    expect(response).toMatchObject({ status: 201, ok: true, body: { id: 7 } });
    const seen = api.requests[0];
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/teams/36/members?existing=1&q=a%26b&tag=x&tag=36&limit=5");
    expect(seen.headers["x-user"]).toBe("Ada Lovelace");
    expect(seen.headers.authorization).toBe("Bearer t-36");
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen.body)).toEqual({ user: "Ada Lovelace", age: 36, note: "hi Ada Lovelace", tags: ["a&b"], fixed: true });
  });

  it("sends a string body as rendered text, and reads text responses", async () => {
    const api = await serve((_req, res, body) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`echo: ${body}`);
    });
    const { response } = await runHttp({
      inputs: { name: "Ada" },
      config: { method: "PUT", url: `${api.origin}/`, body: "name={{ inputs.name }}", headers: { "content-type": "application/x-www-form-urlencoded" } },
      fetch: fetchAllowing(api),
    });
    expect(response.body).toBe("echo: name=Ada");
    expect(api.requests[0].headers["content-type"]).toBe("application/x-www-form-urlencoded");
  });

  it("fails a 404 with http_error carrying the status and a body excerpt", async () => {
    const api = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "no such user", padding: "z".repeat(5000) }));
    });
    const { outcome } = await runHttp({ config: { url: `${api.origin}/users/9` }, fetch: fetchAllowing(api) });
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "http_error", step_id: "call" });
    expect(outcome.error?.message).toContain("answered 404 Not Found");
    expect(outcome.error?.message).toContain('{"error":"no such user"');
    expect(outcome.error!.message.length).toBeLessThan(500);
  });

  it("outputs an error status instead of failing when fail_on_status is off", async () => {
    const api = await serve((_req, res) => {
      res.writeHead(503, { "content-type": "text/html" });
      res.end("<h1>down</h1>");
    });
    const { outcome, response } = await runHttp({ config: { url: `${api.origin}/`, fail_on_status: false, response: "json" }, fetch: fetchAllowing(api) });
    expect(outcome.status).toBe("succeeded");
    expect(response).toMatchObject({ status: 503, ok: false, body: "<h1>down</h1>" });
  });

  it("refuses a loopback address that is not allowlisted, without connecting", async () => {
    const api = await serve((_req, res) => res.end("secret"));
    const fetch = createGuardedFetch({ allow: [] });
    clients.push(fetch);
    const { outcome } = await runHttp({ config: { url: `${api.origin}/` }, fetch });
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "blocked_address", step_id: "call" });
    expect(outcome.error?.message).toContain("loopback");
    expect(api.connections).toBe(0);
  });

  it("fails with response_too_large past max_response_bytes", async () => {
    const api = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a".repeat(3000));
      res.end("b".repeat(3000));
    });
    const { outcome } = await runHttp({ config: { url: `${api.origin}/`, max_response_bytes: 4000 }, fetch: fetchAllowing(api) });
    expect(outcome.error).toMatchObject({ code: "response_too_large" });
  });

  it("reports a refused connection as network_error", async () => {
    const gone = await serve((_req, res) => res.end());
    const fetch = fetchAllowing(gone);
    await gone.close();
    servers.pop();
    const { outcome } = await runHttp({ config: { url: `${gone.origin}/` }, fetch });
    expect(outcome.error).toMatchObject({ code: "network_error" });
    expect(outcome.error?.message).toContain("refused");
  });

  it("aborts the request at the step's timeout and closes the connection", async () => {
    const api = await serve(() => {
      // never answers
    });
    const started = Date.now();
    const { outcome } = await runHttp({ config: { url: `${api.origin}/slow` }, step: { timeout_ms: 300 }, fetch: fetchAllowing(api) });
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "timeout" });
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(() => api.closedSockets === 1, 1000);
  });

  it("ends the run cancelled well within a second when its signal aborts, dropping the request", async () => {
    const api = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial…"); // then stalls: the cancel lands while the body is read
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const { outcome } = await runHttp({ config: { url: `${api.origin}/stream` }, step: { timeout_ms: 30_000 }, fetch: fetchAllowing(api), signal: controller.signal });
    expect(outcome.status).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(1000);
    await waitFor(() => api.closedSockets === 1, 1000);
  });

  it("retries a failing request and succeeds on the third attempt", async () => {
    let calls = 0;
    const api = await serve((_req, res) => {
      calls++;
      if (calls <= 2) {
        res.writeHead(500);
        res.end("try again");
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"attempt":3}');
      }
    });
    const { outcome, response, events } = await runHttp({ config: { url: `${api.origin}/flaky` }, step: { retries: 2 }, fetch: fetchAllowing(api) });
    expect(outcome.status).toBe("succeeded");
    expect(response.body).toEqual({ attempt: 3 });
    expect(api.requests).toHaveLength(3);
    expect(events.filter((e) => e.type === "step_started").map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
  });

  it("does not retry a final client error or a blocked address, but retries 429", async () => {
    let busyCalls = 0;
    const api = await serve((req, res) => {
      if (req.url === "/busy") res.writeHead(++busyCalls === 1 ? 429 : 200);
      else res.writeHead(404);
      res.end("{}");
    });
    const missing = await runHttp({ config: { url: `${api.origin}/missing` }, step: { retries: 2 }, fetch: fetchAllowing(api) });
    expect(missing.outcome.error).toMatchObject({ code: "http_error" });
    expect(api.requests).toHaveLength(1);

    const busy = await runHttp({ config: { url: `${api.origin}/busy` }, step: { retries: 2 }, fetch: fetchAllowing(api) });
    expect(busy.outcome.status).toBe("succeeded");
    expect(api.requests).toHaveLength(3);

    const fetch = createGuardedFetch({ allow: [] });
    clients.push(fetch);
    const blocked = await runHttp({ config: { url: "http://169.254.169.254/latest/meta-data/" }, step: { retries: 2 }, fetch });
    expect(blocked.outcome.error).toMatchObject({ code: "blocked_address" });
    expect(blocked.events.filter((e) => e.type === "step_started")).toHaveLength(1);
  });

  it("checks its config when the workflow is published", () => {
    const check = (config: Record<string, unknown>) =>
      validateDefinition({ inputs: [{ name: "endpoint", type: "text" }], steps: [{ id: "call", kind: "http", config }] });
    expect(check({ url: "https://api.example.com/x" }).ok).toBe(true);
    expect(check({ url: "{{ inputs.endpoint }}" }).ok).toBe(true);
    const errorText = (config: Record<string, unknown>) => JSON.stringify(check(config));
    expect(errorText({ url: "https://x.example", body: { a: 1 } })).toContain("GET request cannot have a body");
    expect(errorText({ url: "ftp://x.example/file" })).toContain("must start with http:// or https://");
    expect(errorText({ url: "https://x.example", method: "FETCH" })).toMatch(/method/);
    expect(errorText({ url: "https://x.example", headers: { "bad header": "v" } })).toContain("valid HTTP header name");
  });
});
