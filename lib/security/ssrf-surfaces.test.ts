/**
 * SSRF through every place Flowdeck fetches a URL on a caller's behalf: the http step, the llm
 * step's base URL (from a workspace secret), callback URLs (run API, re-runs, PromptLayer),
 * file inputs by URL (run API, and the Dify, Datalab and Vellum routes that take file URLs).
 * Each gets every form of a non-public address — loopback in its spellings, the unspecified
 * address, private ranges, link-local and cloud metadata (also inside IPv6 forms), names
 * that resolve to them, and redirects to them from an allowed server — and must refuse
 * without ever connecting: a local "internal service" counts its connections, and must end
 * with none. Runs in this process (current sources) with the real executor, services and
 * compatibility handlers.
 *
 * The rule itself (address kinds, allowlist, redirect hops, DNS pinning) is unit-tested in
 * lib/net/address-policy.test.ts and lib/net/guarded-fetch.test.ts.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  // One attempt per callback: a refused address is refused again on every retry.
  process.env.FLOWDECK_CALLBACK_MAX_ATTEMPTS = "1";
});

import dns from "node:dns";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { guardedFetch } from "../net/guarded-fetch";
import { startTestServer, type TestServer } from "../net/test-server";
import { datalab } from "../compat/datalab";
import { dify } from "../compat/dify";
import { promptlayer } from "../compat/promptlayer";
import { vellum } from "../compat/vellum";
import { getRunDetail, rerunRun, startRun } from "../services/runs";
import { setSecret } from "../services/secrets";
import { createWorkflow } from "../services/workflows";
import { POST as startRunRoute } from "../../app/api/v1/workflows/[workflow]/runs/route";
import { createTenant, waitForRunEnd, type Tenant } from "./tenants";

let t: Tenant;
/** A service on this machine that nothing may reach: every connection to it is a failure. */
let internal: TestServer;
/** An allowed server (on FLOWDECK_FETCH_ALLOW, as an operator would list one) that redirects wherever it is told. */
let redirector: TestServer;
let direct: [string, string][];
let redirects: [string, string][];

/** Names a stand-in resolver answers with internal addresses (no DNS server can be changed here). */
const FAKE_DNS: Record<string, { address: string; family: number }[]> = {
  "intranet.flowdeck-test.example": [{ address: "10.20.30.40", family: 4 }],
  "metadata.flowdeck-test.example": [{ address: "169.254.169.254", family: 4 }],
  // One public and one private answer: refused, since the connection could use either.
  "mixed.flowdeck-test.example": [{ address: "93.184.215.14", family: 4 }, { address: "192.168.1.10", family: 4 }],
  "v6-internal.flowdeck-test.example": [{ address: "fd12:3456::1", family: 6 }],
  // Many resolvers answer the fully-qualified form too (this machine's does not).
  "localhost.": [{ address: "127.0.0.1", family: 4 }],
};
const realLookup = dns.lookup;

beforeAll(async () => {
  await applyMigrations();
  internal = await startTestServer((_req, res) => res.end("internal secret"));
  redirector = await startTestServer((req, res) => {
    const to = new URL(req.url ?? "/", "http://x").searchParams.get("to") ?? "/";
    res.writeHead(302, { location: to }).end();
  });
  process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${redirector.port}`;
  (dns as { lookup: unknown }).lookup = ((host: string, opts: unknown, cb: unknown) => {
    const answer = FAKE_DNS[host];
    const callback = (typeof opts === "function" ? opts : cb) as (e: unknown, a: unknown, f?: number) => void;
    if (!answer) return (realLookup as (...a: unknown[]) => void)(host, opts, cb);
    const all = typeof opts === "object" && (opts as { all?: boolean })?.all;
    queueMicrotask(() => (all ? callback(null, answer) : callback(null, answer[0].address, answer[0].family)));
  }) as typeof dns.lookup;

  const p = internal.port;
  direct = [
    ["loopback", `http://127.0.0.1:${p}/`],
    ["loopback, short form 127.1", `http://127.1:${p}/`],
    ["loopback, decimal", `http://2130706433:${p}/`],
    ["loopback, hex", `http://0x7f000001:${p}/`],
    ["loopback, another 127/8", `http://127.0.0.2:${p}/`],
    ["unspecified 0.0.0.0 (reaches this machine)", `http://0.0.0.0:${p}/`],
    ["name localhost", `http://localhost:${p}/`],
    ["name localhost. (trailing dot)", `http://localhost.:${p}/`],
    [`this machine's name (${os.hostname()})`, `http://${os.hostname()}:${p}/`],
    ["IPv6 loopback", `http://[::1]:${p}/`],
    ["IPv6 unspecified", `http://[::]:${p}/`],
    ["IPv4-mapped IPv6 loopback", `http://[::ffff:127.0.0.1]:${p}/`],
    ["IPv4-mapped, hex", `http://[::ffff:7f00:1]:${p}/`],
    ["IPv4-compatible IPv6", `http://[::127.0.0.1]:${p}/`],
    ["https to loopback", `https://127.0.0.1:${p}/`],
    ["user info before a loopback host", `http://example.com@127.0.0.1:${p}/`],
    ["private 10/8", "http://10.0.0.1/"],
    ["private 172.16/12", "http://172.16.5.4/"],
    ["private 192.168/16", "http://192.168.1.1/"],
    ["shared 100.64/10 (a cloud metadata address)", "http://100.100.100.200/"],
    ["link-local metadata 169.254.169.254", "http://169.254.169.254/latest/meta-data/"],
    ["metadata inside IPv4-mapped IPv6", "http://[::ffff:169.254.169.254]/"],
    ["metadata inside NAT64", "http://[64:ff9b::a9fe:a9fe]/"],
    ["metadata inside 6to4", "http://[2002:a9fe:a9fe::1]/"],
    ["IPv6 link-local", "http://[fe80::1]/"],
    ["IPv6 unique-local (a cloud's IPv6 metadata)", "http://[fd00:ec2::254]/"],
    ["multicast", "http://224.0.0.1/"],
    ["name resolving to 10/8", "http://intranet.flowdeck-test.example/"],
    ["name resolving to the metadata address", "http://metadata.flowdeck-test.example/latest/"],
    ["name resolving to public + private", "http://mixed.flowdeck-test.example/"],
    ["name resolving to IPv6 unique-local", "http://v6-internal.flowdeck-test.example/"],
  ];
  const via = (to: string) => `${redirector.origin}/?to=${encodeURIComponent(to)}`;
  redirects = [
    ["redirect to loopback", via(`http://127.0.0.1:${p}/`)],
    ["redirect to localhost", via(`http://localhost:${p}/`)],
    ["redirect to [::1]", via(`http://[::1]:${p}/`)],
    ["redirect to 0.0.0.0", via(`http://0.0.0.0:${p}/`)],
    ["redirect to the metadata address", via("http://169.254.169.254/latest/meta-data/")],
    ["redirect to a name resolving to 10/8", via("http://intranet.flowdeck-test.example/")],
    ["two redirects, then loopback", via(via(`http://127.0.0.1:${p}/`))],
  ];

  t = await createTenant("ssrf");
  await createWorkflow(t.owner, {
    name: "fetcher",
    definition: {
      inputs: [{ name: "url", type: "text" }],
      steps: [{ id: "get", kind: "http", config: { url: "{{ inputs.url }}" } }],
      outputs: { status: "{{ steps.get.output.status }}" },
    },
  });
  await createWorkflow(t.owner, {
    name: "asker",
    definition: { steps: [{ id: "ask", kind: "llm", config: { provider: "ssrf_llm", prompt: "hi" } }], outputs: { text: "{{ steps.ask.output.text }}" } },
  });
}, 60_000);

afterAll(async () => {
  (dns as { lookup: unknown }).lookup = realLookup;
  delete process.env.FLOWDECK_FETCH_ALLOW;
  await Promise.all([internal?.close(), redirector?.close()]);
  await shutdownSandboxPool();
});

const all = () => [...direct, ...redirects];

/** Runs `workflow` and answers its error. */
async function runFails(workflow: string, inputs: Record<string, unknown> = {}) {
  const started = await startRun(t.owner, { workflow, inputs, origin: "api" });
  const run = await waitForRunEnd(t.owner, started.uuid);
  return { status: run.status, code: run.errorCode, message: run.errorMessage ?? "" };
}

async function counts() {
  const w = t.owner.workspaceId;
  return { runs: await db.run.count({ where: { workspaceId: w } }), files: await db.file.count({ where: { workspaceId: w } }) };
}

/** The one delivery of a run's callback, once it was attempted. */
async function deliveryOf(runUuid: string) {
  const run = await db.run.findUniqueOrThrow({ where: { uuid: runUuid }, select: { id: true } });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await db.callbackDelivery.findMany({ where: { runId: run.id } });
    if (rows.length && rows.every((r) => r.state !== "pending")) return rows;
    if (Date.now() > deadline) throw new Error(`no callback attempt for ${runUuid}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A callback to `url` was attempted and refused: blocked (or, for a redirect, not followed). */
function expectRefusedCallback(rows: { state: string; error: string | null; statusCode: number | null }[], what: string, viaRedirect: boolean) {
  expect(rows.length, what).toBe(1);
  expect(rows[0].state, what).toBe("failed");
  if (viaRedirect) expect(rows[0].error, what).toBe("The receiver answered 302");
  else expect(rows[0].error, what).toMatch(/^Blocked request to /);
}

describe("SSRF: every place that fetches a URL refuses internal addresses", () => {
  it("the network rule refuses each target before connecting (the list is sound)", async () => {
    for (const [what, url] of all()) {
      await expect(guardedFetch(url), what).rejects.toMatchObject({ code: "blocked_address" });
    }
    expect(internal.connections).toBe(0);
    expect(redirector.requests.length).toBeGreaterThanOrEqual(redirects.length);
  });

  it("http step", async () => {
    await Promise.all(all().map(async ([what, url]) => {
      const run = await runFails("fetcher", { url });
      expect([run.status, run.code], `${what}: ${run.message}`).toEqual(["failed", "blocked_address"]);
    }));
    expect(internal.connections).toBe(0);
  }, 45_000);

  it("llm step: the provider's base URL from a workspace secret", async () => {
    for (const [what, url] of all()) {
      await setSecret(t.owner, "ssrf_llm", JSON.stringify({ base_url: url, api_key: "sk-ssrf", model: "m" }));
      const run = await runFails("asker");
      expect([run.status, run.code], `${what}: ${run.message}`).toEqual(["failed", "blocked_address"]);
      expect(run.message).not.toContain("sk-ssrf");
    }
    expect(internal.connections).toBe(0);
  }, 45_000);

  it("file inputs by URL (run API service, both forms): refused with a 422, nothing stored", async () => {
    const before = await counts();
    for (const [what, url] of all()) {
      for (const value of [url, { url }]) {
        const attempt = startRun(t.owner, { workflow: t.reader.name, inputs: { document: value }, origin: "api" });
        await expect(attempt, what).rejects.toMatchObject({
          code: "validation_error",
          detail: [{ loc: ["inputs", "document"], msg: expect.stringMatching(/^Could not fetch .*(Blocked request|redirect)/), type: "value_error.url" }],
        });
      }
    }
    expect(await counts()).toEqual(before);
    expect(internal.connections).toBe(0);
  }, 45_000);

  it("callback URLs (run service): the attempt is refused and recorded, the run itself is fine", async () => {
    await Promise.all(all().map(async ([what, url]) => {
      const started = await startRun(t.owner, { workflow: t.flow.name, inputs: {}, origin: "api", callbackUrl: url });
      expect((await waitForRunEnd(t.owner, started.uuid)).status).toBe("succeeded");
      expectRefusedCallback(await deliveryOf(started.uuid), what, what.startsWith("redirect") || what.startsWith("two redirects"));
    }));
    expect(internal.connections).toBe(0);
  }, 45_000);

  it("callback URLs through the run API route, re-runs and PromptLayer's callback_url", async () => {
    const picked = ["loopback", "unspecified 0.0.0.0 (reaches this machine)", "IPv4-mapped IPv6 loopback", "link-local metadata 169.254.169.254",
      "name localhost", "name resolving to 10/8"];
    const sample = [...direct.filter(([w]) => picked.includes(w)), redirects[0]];
    expect(sample.length).toBe(picked.length + 1);
    for (const [what, url] of sample) {
      const viaRedirect = what.startsWith("redirect");
      // POST /api/v1/workflows/{workflow}/runs (the route handler, with an API key).
      const res = await startRunRoute(new Request(`http://flowdeck.test/api/v1/workflows/${t.flow.name}/runs`, {
        method: "POST", headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ callback_url: url, response_mode: "blocking" }),
      }), { params: Promise.resolve({ workflow: t.flow.name }) });
      const doc = await res.json();
      expect(res.status, `${what}: ${JSON.stringify(doc)}`).toBe(200);
      expectRefusedCallback(await deliveryOf(doc.id), `API ${what}`, viaRedirect);

      const rerun = await rerunRun(t.owner, doc.id, { callbackUrl: url });
      await waitForRunEnd(t.owner, rerun.run.uuid);
      expectRefusedCallback(await deliveryOf(rerun.run.uuid), `re-run ${what}`, viaRedirect);

      const pl = await promptlayer.run(new Request(`http://flowdeck.test/workflows/${t.flow.name}/run`, {
        method: "POST", headers: { "x-api-key": t.adminKey, "content-type": "application/json" }, body: JSON.stringify({ callback_url: url }),
      }), { params: Promise.resolve({ workflow_name: t.flow.name }) });
      const plBody = await pl.json();
      expect(pl.status, `${what}: ${JSON.stringify(plBody)}`).toBe(202);
      const plRun = await db.run.findUniqueOrThrow({ where: { id: plBody.workflow_version_execution_id }, select: { uuid: true } });
      await waitForRunEnd(t.owner, plRun.uuid);
      expectRefusedCallback(await deliveryOf(plRun.uuid), `PromptLayer ${what}`, viaRedirect);
    }
    expect(internal.connections).toBe(0);
  }, 45_000);

  it("file URLs of the compatibility APIs (Dify remote_url, Datalab file_url, Vellum media src): refused, nothing stored", async () => {
    const before = await counts();
    for (const [what, url] of all()) {
      const difyRes = await dify.run(new Request("http://flowdeck.test/v1/workflows/run", {
        method: "POST", headers: { authorization: `Bearer ${t.boundKey}`, "content-type": "application/json" },
        body: JSON.stringify({ inputs: { document: { type: "document", transfer_method: "remote_url", url } }, user: "u", response_mode: "blocking" }),
      }));
      const difyBody = await difyRes.json();
      expect([difyRes.status, difyBody.code], `Dify ${what}`).toEqual([400, "invalid_param"]);
      expect(difyBody.message, `Dify ${what}`).toMatch(/Could not fetch .*(Blocked request|redirect)/);

      const datalabRes = await datalab.execute(new Request(`http://flowdeck.test/api/v1/workflows/workflows/${t.reader.id}/execute`, {
        method: "POST", headers: { "x-api-key": t.adminKey, "content-type": "application/json" },
        body: JSON.stringify({ input_config: { file_url: url } }),
      }), { params: Promise.resolve({ workflow_id: String(t.reader.id) }) });
      const datalabBody = await datalabRes.json();
      expect(datalabRes.status, `Datalab ${what}: ${JSON.stringify(datalabBody)}`).toBe(422);
      expect(datalabBody.detail[0].msg, `Datalab ${what}`).toMatch(/Could not fetch .*(Blocked request|redirect)/);

      const vellumRes = await vellum.execute(new Request("http://flowdeck.test/v1/execute-workflow", {
        method: "POST", headers: { "x-api-key": t.adminKey, "content-type": "application/json" },
        body: JSON.stringify({ workflow_deployment_name: t.reader.name, inputs: [{ name: "document", type: "DOCUMENT", value: { src: url } }] }),
      }));
      const vellumBody = await vellumRes.json();
      expect(vellumRes.status, `Vellum ${what}: ${JSON.stringify(vellumBody)}`).toBe(400);
      expect(vellumBody.detail, `Vellum ${what}`).toMatch(/Could not fetch .*(Blocked request|redirect)/);
    }
    expect(await counts()).toEqual(before);
    expect(internal.connections).toBe(0);
  }, 45_000);

  it("control: the same surfaces do reach an allowlisted server (so the refusals above are the rule, not a broken request)", async () => {
    const open = await startTestServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("public document"));
    try {
      process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${redirector.port},127.0.0.1:${open.port}`;
      expect((await runFails("fetcher", { url: `${open.origin}/x` })).status).toBe("succeeded");
      const fetched = await startRun(t.owner, { workflow: t.reader.name, inputs: { document: `${open.origin}/doc.txt` }, origin: "api" });
      expect((await waitForRunEnd(t.owner, fetched.uuid)).status).toBe("succeeded");
      const withCallback = await startRun(t.owner, { workflow: t.flow.name, inputs: {}, origin: "api", callbackUrl: `${open.origin}/hook` });
      await waitForRunEnd(t.owner, withCallback.uuid);
      expect((await deliveryOf(withCallback.uuid))[0].state).toBe("delivered");
      expect(open.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /x", "GET /doc.txt", "POST /hook"]);
      expect((await getRunDetail(t.owner, fetched.uuid)).status).toBe("succeeded");
    } finally {
      process.env.FLOWDECK_FETCH_ALLOW = `127.0.0.1:${redirector.port}`;
      await open.close();
    }
    expect(internal.connections).toBe(0);
  });
});
