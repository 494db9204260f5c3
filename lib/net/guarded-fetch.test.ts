import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createGuardedFetch, OutboundBlockedError, OutboundFetchError, OutboundNetworkError, ResponseTooLargeError, type GuardedFetch,
} from "./guarded-fetch";
import { startTestServer, waitFor, type TestServer } from "./test-server";

/** A server that answers "hello" to everything and records what it saw. */
const hello = () => startTestServer((_req, res) => res.end("hello"));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the request to fail");
}

describe("guarded fetch: refused addresses never connect", () => {
  let target: TestServer;
  let target6: TestServer;
  const fetch = createGuardedFetch({ allow: [] });

  beforeAll(async () => {
    target = await hello();
    target6 = await startTestServer((_req, res) => res.end("v6"), "::1");
  });
  afterAll(async () => {
    await fetch.close();
    await target.close();
    await target6.close();
  });

  it("refuses 127.0.0.1", async () => {
    const error = await rejection(fetch(`${target.origin}/secret`));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect(error).toMatchObject({ code: "blocked_address" });
    expect((error as Error).message).toContain("'127.0.0.1'");
    expect((error as Error).message).toContain("loopback");
    expect(target.connections).toBe(0);
  });

  it("refuses [::1]", async () => {
    const error = await rejection(fetch(`${target6.origin}/`));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toContain("loopback");
    expect(target6.connections).toBe(0);
  });

  it("refuses an IPv4-mapped IPv6 loopback ([::ffff:127.0.0.1]) that would reach the IPv4 server", async () => {
    const error = await rejection(fetch(`http://[::ffff:127.0.0.1]:${target.port}/`));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toContain("embedding a loopback address");
    expect(target.connections).toBe(0);
  });

  it("refuses `localhost`, a name that resolves to loopback, after resolving it", async () => {
    const error = await rejection(fetch(`http://localhost:${target.port}/`));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toMatch(/'localhost'.*resolves to a loopback address/);
    // The resolved address itself is not revealed.
    expect((error as Error).message).not.toContain("127.0.0.1");
    expect(target.connections).toBe(0);
  });

  it("refuses private and metadata addresses at once, without trying to connect", async () => {
    for (const [url, words] of [
      ["http://10.0.0.1/", "private network"],
      ["http://169.254.169.254/latest/meta-data/", "link-local"],
      ["http://[fd00:ec2::254]/", "unique-local"],
      ["http://100.64.0.1/", "carrier-grade NAT"],
      ["http://0.0.0.0:80/", "unspecified"],
    ] as const) {
      const started = Date.now();
      const error = await rejection(fetch(url));
      expect(error, url).toBeInstanceOf(OutboundBlockedError);
      expect((error as Error).message).toContain(words);
      // A real connection attempt to an unroutable address would hang much longer.
      expect(Date.now() - started).toBeLessThan(200);
    }
  });

  it("refuses non-http schemes", async () => {
    const error = await rejection(fetch("file:///etc/passwd"));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toContain("only http and https");
  });

  it("reports a bad URL as a network error (a TypeError, like fetch)", async () => {
    const error = await rejection(fetch("not a url"));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: "network_error" });
  });
});

describe("guarded fetch: allowlisted local servers", () => {
  const servers: TestServer[] = [];
  const clients: GuardedFetch[] = [];
  const serve = async (...args: Parameters<typeof startTestServer>) => {
    const server = await startTestServer(...args);
    servers.push(server);
    return server;
  };
  const client = (...args: Parameters<typeof createGuardedFetch>) => {
    const f = createGuardedFetch(...args);
    clients.push(f);
    return f;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("reaches an allowlisted host:port, and only that port", async () => {
    const open = await serve((_req, res) => res.end("hello"));
    const other = await serve((_req, res) => res.end("other"));
    const fetch = client({ allow: [`127.0.0.1:${open.port}`] });
    const res = await fetch(`${open.origin}/x?y=1`);
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
    expect(res.url).toBe(`${open.origin}/x?y=1`);
    expect(open.requests[0].url).toBe("/x?y=1");

    await expect(fetch(`${other.origin}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    expect(other.connections).toBe(0);
  });

  it("matches a host name entry on the URL's host, not on the address it resolves to", async () => {
    const open = await serve((_req, res) => res.end("by name"));
    const fetch = client({ allow: [`LOCALHOST:${open.port}`] });
    expect(await (await fetch(`http://localhost:${open.port}/`)).text()).toBe("by name");
    await expect(fetch(`${open.origin}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
  });

  it("reads the allowlist from FLOWDECK_FETCH_ALLOW when no allow option is given", async () => {
    const open = await serve((_req, res) => res.end("from env"));
    const fetch = client();
    const before = process.env.FLOWDECK_FETCH_ALLOW;
    try {
      process.env.FLOWDECK_FETCH_ALLOW = `example.invalid:1, 127.0.0.1:${open.port}`;
      expect(await (await fetch(`${open.origin}/`)).text()).toBe("from env");
      process.env.FLOWDECK_FETCH_ALLOW = "";
      await expect(fetch(`${open.origin}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    } finally {
      if (before === undefined) delete process.env.FLOWDECK_FETCH_ALLOW;
      else process.env.FLOWDECK_FETCH_ALLOW = before;
    }
  });

  it("refuses a redirect from an allowlisted server to a loopback port that is not allowlisted", async () => {
    const inner = await serve((_req, res) => res.end("internal"));
    const open = await serve((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${inner.port}/admin` });
      res.end();
    });
    const fetch = client({ allow: [`127.0.0.1:${open.port}`] });
    const error = await rejection(fetch(`${open.origin}/`));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect(open.requests).toHaveLength(1);
    expect(inner.connections).toBe(0);
  });

  it("refuses a redirect to the metadata address", async () => {
    const open = await serve((_req, res) => {
      res.writeHead(301, { location: "http://169.254.169.254/latest/meta-data/iam/" });
      res.end();
    });
    const fetch = client({ allow: [`127.0.0.1:${open.port}`] });
    const error = await rejection(fetch(`${open.origin}/`));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toContain("'169.254.169.254'");
  });

  it("refuses a redirect to a name that resolves to loopback", async () => {
    const open = await serve((_req, res) => {
      res.writeHead(307, { location: `http://localhost:${open.port}/again` });
      res.end();
    });
    const fetch = client({ allow: [`127.0.0.1:${open.port}`] });
    await expect(fetch(`${open.origin}/`)).rejects.toBeInstanceOf(OutboundBlockedError);
    expect(open.requests).toHaveLength(1);
  });

  it("follows allowed redirects, keeps credentials on the same origin and drops them across origins", async () => {
    const second = await serve((_req, res) => res.end("landed"));
    const first = await serve((req, res) => {
      if (req.url === "/start") res.writeHead(302, { location: "/same" });
      else res.writeHead(302, { location: `${second.origin}/elsewhere` });
      res.end();
    });
    const fetch = client({ allow: [`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`] });
    const res = await fetch(`${first.origin}/start`, { headers: { authorization: "Bearer s3cret", cookie: "sid=1", "x-trace": "t1" } });
    expect(await res.text()).toBe("landed");
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${second.origin}/elsewhere`);
    expect(first.requests.map((r) => r.headers.authorization)).toEqual(["Bearer s3cret", "Bearer s3cret"]);
    expect(second.requests[0].headers.authorization).toBeUndefined();
    expect(second.requests[0].headers.cookie).toBeUndefined();
    expect(second.requests[0].headers["x-trace"]).toBe("t1");
  });

  it("turns a POST into a GET without body on 303, and keeps method and body on 307", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/see-other") res.writeHead(303, { location: "/result" });
      else if (req.url === "/temporary") res.writeHead(307, { location: "/result" });
      res.end(`${req.method} ${req.url}`);
    });
    const fetch = client({ allow: [`127.0.0.1:${server.port}`] });
    const init = { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } };
    expect(await (await fetch(`${server.origin}/see-other`, init)).text()).toBe("GET /result");
    expect(server.requests[1]).toMatchObject({ method: "GET", body: "" });
    expect(server.requests[1].headers["content-type"]).toBeUndefined();
    expect(await (await fetch(`${server.origin}/temporary`, init)).text()).toBe("POST /result");
    expect(server.requests[3]).toMatchObject({ method: "POST", body: '{"a":1}' });
  });

  it("stops after the redirect limit", async () => {
    const loop = await serve((req, res) => {
      res.writeHead(302, { location: `/hop${Number(req.url?.slice(4) || 0) + 1}` });
      res.end();
    });
    const fetch = client({ allow: [`127.0.0.1:${loop.port}`], maxRedirects: 3 });
    const error = await rejection(fetch(`${loop.origin}/hop0`));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect((error as Error).message).toContain("Too many redirects");
    expect(loop.requests.map((r) => r.url)).toEqual(["/hop0", "/hop1", "/hop2", "/hop3"]);

    // The default limit is 5.
    loop.requests.length = 0;
    const defaults = client({ allow: [`127.0.0.1:${loop.port}`] });
    await expect(defaults(`${loop.origin}/hop0`)).rejects.toBeInstanceOf(OutboundNetworkError);
    expect(loop.requests).toHaveLength(6);
  });

  it("returns the redirect itself with redirect: manual", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: "http://169.254.169.254/" });
      res.end();
    });
    const fetch = client({ allow: [`127.0.0.1:${server.port}`] });
    const res = await fetch(`${server.origin}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://169.254.169.254/");
  });

  it("errors while streaming when the body passes the size limit", async () => {
    const big = await serve((_req, res) => {
      // Chunked, no content-length: only counting while streaming can catch it.
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = "x".repeat(1000);
      let sent = 0;
      const pump = () => {
        while (sent < 50) {
          sent++;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const fetch = client({ allow: [`127.0.0.1:${big.port}`], maxResponseBytes: 10_000 });
    const res = await fetch(`${big.origin}/`);
    expect(res.status).toBe(200);
    const error = await rejection(res.text());
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ code: "response_too_large", limit: 10_000 });

    // Exactly at the limit is fine.
    const exact = client({ allow: [`127.0.0.1:${big.port}`], maxResponseBytes: 50_000 });
    expect((await (await exact(`${big.origin}/`)).text()).length).toBe(50_000);
  });

  it("refuses before reading when content-length already exceeds the limit", async () => {
    const big = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "20000" });
      res.end("y".repeat(20000));
    });
    const fetch = client({ allow: [`127.0.0.1:${big.port}`], maxResponseBytes: 1000 });
    await expect(fetch(`${big.origin}/`)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it("aborts mid-body: the read fails at once and the connection is closed", async () => {
    const slow = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk");
      // …and never finishes.
    });
    const fetch = client({ allow: [`127.0.0.1:${slow.port}`] });
    const controller = new AbortController();
    const res = await fetch(`${slow.origin}/`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("first chunk");
    const pending = reader.read();
    const started = Date.now();
    controller.abort(new Error("stop now"));
    const error = await rejection(pending);
    expect((error as Error).message).toBe("stop now");
    expect(Date.now() - started).toBeLessThan(500);
    await waitFor(() => slow.closedSockets === 1);
  });

  it("aborts while waiting for the response headers", async () => {
    const silent = await serve(() => {
      // never answers
    });
    const fetch = client({ allow: [`127.0.0.1:${silent.port}`] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await rejection(fetch(`${silent.origin}/`, { signal: controller.signal }));
    expect((error as Error).name).toBe("AbortError");
    expect(Date.now() - started).toBeLessThan(500);
    await waitFor(() => silent.closedSockets === 1);
  });

  it("rejects at once with an already aborted signal", async () => {
    const server = await serve((_req, res) => res.end("x"));
    const fetch = client({ allow: [`127.0.0.1:${server.port}`] });
    await expect(fetch(`${server.origin}/`, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(server.connections).toBe(0);
  });

  it("reports a refused connection as a network error with a clear message", async () => {
    const gone = await serve((_req, res) => res.end("x"));
    const port = gone.port;
    await gone.close();
    servers.pop();
    const fetch = client({ allow: [`127.0.0.1:${port}`] });
    const error = await rejection(fetch(`http://127.0.0.1:${port}/`));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect(error).toBeInstanceOf(OutboundFetchError);
    expect((error as Error).message).toBe(`Request to '127.0.0.1:${port}' failed: the connection was refused`);
  });

  it("sends a JSON body and headers, and gives back status, headers and body", async () => {
    const echo = await serve((req, res, body) => {
      res.writeHead(201, { "content-type": "application/json", "x-seen": String(req.headers["x-api-key"]) });
      res.end(JSON.stringify({ got: JSON.parse(body) }));
    });
    const fetch = client({ allow: [`127.0.0.1:${echo.port}`] });
    const res = await fetch(`${echo.origin}/items`, {
      method: "POST", headers: { "content-type": "application/json", "x-api-key": "k1" }, body: JSON.stringify({ n: 1 }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-seen")).toBe("k1");
    expect(await res.json()).toEqual({ got: { n: 1 } });
  });
});
