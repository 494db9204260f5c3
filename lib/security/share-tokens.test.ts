/**
 * Share-link tokens, end to end on the production server: what a token is (URL-safe, ≥128
 * bits, never twice the same, stored only as its SHA-256), what it opens (its own run's page
 * and event stream — nothing else: not another run, not the API, not files, not a session),
 * and when it stops working (revoked, expired), answering then exactly like a token that
 * never existed. What a shared viewer sees of the run (no step outputs, inputs only when the
 * link includes them, a live stream that ends on revoke/expiry) is lib/services/share-links.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { TestServer } from "../api/test-server";
import { testServerUnavailable } from "../api/test-server";
import { startRun } from "../services/runs";
import { createShareLink, revokeShareLink } from "../services/share-links";
import { createWorkflow } from "../services/workflows";
import { randomToken, sha256Hex } from "./tokens";
import { call, startSecurityServer } from "./http-kit";
import { routeKeys } from "./route-inventory";
import { authProbes, credentialHeaders, probeInit, PUBLIC_ROUTES, unauthorized } from "./route-probes";
import { createTenant, findInDatabase, waitForRunEnd, type Tenant } from "./tenants";

const skip = testServerUnavailable();

const SHOWN = "SHOWN-RESULT-6f1c";
const OTHER = "OTHER-RUN-RESULT-93ab";
const INPUT = "PRIVATE-INPUT-1d7e";

let server: TestServer;
let t: Tenant;
/** A run whose link is tested, and another run of the same workspace. */
let shown: { id: number; uuid: string };
let other: { id: number; uuid: string };
let token: string;

beforeAll(async () => {
  if (skip) return;
  await applyMigrations();
  t = await createTenant("share");
  const def = (text: string) => ({
    inputs: [{ name: "secret", type: "text", default: "none" }],
    steps: [{ id: "say", kind: "template", config: { template: `${text} {{ inputs.secret }}` } }],
    outputs: { said: `${text}` },
  });
  await createWorkflow(t.owner, { name: "shown", definition: def(SHOWN) });
  await createWorkflow(t.owner, { name: "other", definition: def(OTHER) });
  shown = await startRun(t.owner, { workflow: "shown", inputs: { secret: INPUT }, origin: "ui" });
  other = await startRun(t.owner, { workflow: "other", inputs: { secret: INPUT }, origin: "ui" });
  await Promise.all([waitForRunEnd(t.owner, shown.uuid), waitForRunEnd(t.owner, other.uuid)]);
  token = (await createShareLink(t.owner, shown.uuid)).token;
  server = await startSecurityServer();
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await shutdownSandboxPool();
});

/** Bits that are set, over all tokens' bytes. */
function bitCounts(tokens: string[]): { ones: number; total: number; perPosition: number[] } {
  const bytes = tokens.map((tk) => Buffer.from(tk, "base64url"));
  const perPosition = new Array(bytes[0].length * 8).fill(0);
  let ones = 0;
  for (const b of bytes) {
    for (let i = 0; i < b.length * 8; i++) {
      if ((b[i >> 3] >> (i & 7)) & 1) {
        ones++;
        perPosition[i]++;
      }
    }
  }
  return { ones, total: bytes.length * bytes[0].length * 8, perPosition };
}

describe.skipIf(skip)("share-link tokens", () => {
  it("are URL-safe, carry ≥128 bits, never repeat, look random, and only their SHA-256 is stored", async () => {
    const links = [];
    for (let i = 0; i < 200; i++) links.push(await createShareLink(t.owner, other.uuid));
    const tokens = links.map((l) => l.token);
    for (const tk of tokens) {
      expect(tk).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(tk, "base64url").length * 8).toBeGreaterThanOrEqual(128);
      expect(Buffer.from(tk, "base64url").toString("base64url")).toBe(tk); // every character carries bits
    }
    expect(new Set(tokens).size).toBe(tokens.length);
    // No shared 8-character prefix either (48 bits: a repeat would mean a broken generator).
    expect(new Set(tokens.map((tk) => tk.slice(0, 8))).size).toBe(tokens.length);
    // Bits are balanced overall (±5σ) and at every position (±5σ for 200 samples).
    const { ones, total, perPosition } = bitCounts(tokens);
    expect(Math.abs(ones / total - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / total));
    for (const count of perPosition) expect(Math.abs(count / tokens.length - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / tokens.length));
    // The generator itself, many times over.
    const many = Array.from({ length: 20_000 }, () => randomToken());
    expect(new Set(many).size).toBe(many.length);

    // Stored: the hash and the last 4 characters, never the token.
    const rows = await db.shareLink.findMany({ where: { id: { in: links.map((l) => l.id) } }, select: { id: true, tokenHash: true, last4: true } });
    const byId = new Map(links.map((l) => [l.id, l.token]));
    for (const row of rows) {
      expect(row.tokenHash).toBe(sha256Hex(byId.get(row.id)!));
      expect(row.last4).toBe(byId.get(row.id)!.slice(-4));
    }
    // Invitation links are tokens of the same kind: hashed too.
    const scan = await findInDatabase([...tokens, token, t.invitation.token]);
    expect(scan.hits).toEqual([]);
    expect(scan.rows).toBeGreaterThan(200);
    // The scan does read the links' rows: it finds what is stored there (a hash).
    expect((await findInDatabase([sha256Hex(token)])).hits.some((h) => h.table.includes('"ShareLink"'))).toBe(true);
  });

  it("opens its own run's page and stream: that run's result, not another run's, not the inputs", async () => {
    const page = await call(`${server.url}/share/${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(SHOWN);
    expect(page.text).not.toContain(OTHER);
    expect(page.text).not.toContain(INPUT);
    // The token must not leak through the Referer of links in the outputs, nor be indexed.
    expect(page.text).toMatch(/<meta name="referrer" content="no-referrer"/);
    expect(page.text).toMatch(/<meta name="robots" content="noindex, nofollow"/);

    const events = await call(`${server.url}/api/share/${token}/events`, { streamMs: 3000 });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(events.headers.get("referrer-policy")).toBe("no-referrer");
    const ids = [...events.text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const stored = (await db.runEvent.findMany({ where: { runId: shown.id }, select: { seq: true } })).map((e) => e.seq);
    expect(ids.length).toBeGreaterThan(0);
    for (const seq of ids) expect(stored).toContain(seq);
    expect(events.text).toContain(SHOWN);
    expect(events.text).toContain("run_finished");
    expect(events.text).not.toContain(OTHER);
    expect(events.text).not.toContain(INPUT);
  });

  it("a shared result cannot script the page: markdown links and raw HTML in outputs stay inert", async () => {
    const payload = "# Report\n\n[open](javascript:alert(document.cookie))\n\n<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n<a href=\"javascript:alert(3)\">x</a>";
    await createWorkflow(t.owner, {
      name: "markdown",
      definition: { steps: [{ id: "md", kind: "template", config: { template: payload } }], outputs: { report: "{{ steps.md.output }}" } },
    });
    const run = await startRun(t.owner, { workflow: "markdown", inputs: {}, origin: "ui" });
    await waitForRunEnd(t.owner, run.uuid);
    const link = await createShareLink(t.owner, run.uuid);
    const page = await call(`${server.url}/share/${link.token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Report"); // the output was rendered
    expect(page.text).not.toMatch(/<a[^>]+href="javascript:/i);
    expect(page.text).not.toMatch(/<img[^>]+onerror/i);
    expect(page.text).not.toMatch(/<script>alert\(2\)/);
  });

  it("is no credential anywhere: every authenticated route answers it with its own 401", async () => {
    const probes = authProbes(t);
    expect([...Object.keys(probes), ...Object.keys(PUBLIC_ROUTES)].sort()).toEqual(routeKeys().sort());
    let n = 0;
    for (const [route, probe] of Object.entries(probes)) {
      for (const headers of credentialHeaders(probe.product, token)) {
        const res = await call(`${server.url}${probe.path}`, probeInit(probe, headers));
        try {
          unauthorized[probe.product](res);
        } catch (error) {
          throw new Error(`${route} with the share token in ${Object.keys(headers)[0]}: ${(error as Error).message} ${res.text.slice(0, 200)}`);
        }
        n++;
      }
    }
    // Nor a session: as the session cookie, with the workspace named.
    const asCookie = await call(`${server.url}/api/v1/runs/${shown.uuid}?workspace=${t.slug}`, { headers: { cookie: `authjs.session-token=${token}` } });
    unauthorized.flowdeck(asCookie);
    // Nor a way to files: the run's workspace file by id, with the token beside it.
    for (const path of [`/api/v1/files/${t.file.id}?token=${token}`, `/share/${token}/files/${t.file.id}`, `/api/share/${token}/files/${t.file.id}`]) {
      const res = await call(`${server.url}${path}`);
      expect([401, 404], path).toContain(res.status);
      expect(res.text).not.toContain(`file of ${t.slug}`);
    }
    expect(n).toBeGreaterThanOrEqual(40);
  });

  it("other strings in its place open nothing: run ids, near misses, another case", async () => {
    const unknown = await call(`${server.url}/api/share/${randomToken()}/events`);
    expect([unknown.status, unknown.json]).toEqual([404, { code: "not_found", message: "This link does not work" }]);
    const flip = (c: string) => (c === "A" ? "B" : "A");
    for (const fake of [
      shown.uuid, other.uuid, String(shown.id), token.slice(0, -1), `${token}x`, `${flip(token[0])}${token.slice(1)}`,
      token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), sha256Hex(token), encodeURIComponent(`${token}/..`),
    ]) {
      const res = await call(`${server.url}/api/share/${fake}/events`);
      expect([res.status, res.json], fake).toEqual([404, unknown.json]);
      const page = await call(`${server.url}/share/${fake}`);
      expect(page.status, fake).toBe(404);
      expect(page.text).not.toContain(SHOWN);
    }
  });

  it("stops at once when revoked, answering like a token that never existed", async () => {
    const link = await createShareLink(t.owner, shown.uuid);
    expect((await call(`${server.url}/api/share/${link.token}/events`, { streamMs: 500 })).status).toBe(200);
    await revokeShareLink(t.owner, link.id);
    const revoked = await call(`${server.url}/api/share/${link.token}/events`);
    const unknown = await call(`${server.url}/api/share/${randomToken()}/events`);
    expect([revoked.status, revoked.json]).toEqual([unknown.status, unknown.json]);
    const page = await call(`${server.url}/share/${link.token}`);
    expect(page.status).toBe(404);
    expect(page.text).not.toContain(SHOWN);
  });

  it("works until its expiry, then answers like a token that never existed", async () => {
    const expiresAt = new Date(Date.now() + 2_500);
    const link = await createShareLink(t.owner, shown.uuid, { expiresAt });
    expect((await call(`${server.url}/share/${link.token}`)).status).toBe(200);
    expect((await call(`${server.url}/api/share/${link.token}/events`, { streamMs: 300 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, expiresAt.getTime() - Date.now() + 100));
    const expired = await call(`${server.url}/api/share/${link.token}/events`);
    expect([expired.status, expired.json]).toEqual([404, { code: "not_found", message: "This link does not work" }]);
    expect((await call(`${server.url}/share/${link.token}`)).status).toBe(404);
    // An expiry in the past is refused when creating, so a link is never born dead.
    await expect(createShareLink(t.owner, shown.uuid, { expiresAt: new Date(Date.now() - 1000) })).rejects.toThrow(/in the future/);
  });
});
