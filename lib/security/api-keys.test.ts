/**
 * API keys on the production server: stored only as a SHA-256 (no table holds a key in
 * plaintext, however it was created: API, server action, service), shown once and never
 * listed again (API and settings page), and every authenticated route — Flowdeck's and each
 * compatibility API's, in every header its clients use — answers 401 in its own shape for a
 * revoked key, a made-up key and no key, from the moment the key is revoked.
 *
 * Keys do not expire in Flowdeck (DESIGN.md: shown once, revocable); revocation is the only
 * way a key stops working.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asSignedIn, serverActionModules } from "./action-session";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { TestServer } from "../api/test-server";
import { testServerUnavailable } from "../api/test-server";
import { createApiKey } from "../services/api-keys";
import { randomToken, sha256Hex } from "./tokens";
import { call, signIn, startSecurityServer } from "./http-kit";
import { authProbes, credentialHeaders, probeInit, unauthorized } from "./route-probes";
import { createTenant, findInDatabase, PASSWORD, type Tenant } from "./tenants";

const skip = testServerUnavailable();

let server: TestServer;
let t: Tenant;
/** Every key made in this file, in plaintext (to look for in the database and in answers). */
const made: string[] = [];

beforeAll(async () => {
  if (skip) return;
  await applyMigrations();
  t = await createTenant("keys");
  made.push(t.adminKey, t.boundKey);
  server = await startSecurityServer();
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await shutdownSandboxPool();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.skipIf(skip)("API keys", () => {
  it("are fd_ + ≥128 random bits, never repeat, and are stored only as SHA-256 + last 4, however created", async () => {
    // Over the API (the server process) …
    for (let i = 0; i < 20; i++) {
      const res = await call(`${server.url}/api/v1/api-keys`, { method: "POST", json: { name: `api ${i}`, role: i % 2 ? "admin" : "member" }, headers: bearer(t.adminKey) });
      expect(res.status).toBe(201);
      expect(res.headers.get("cache-control")).toBe("no-store");
      made.push(res.json.key);
    }
    // … through the settings page's server action …
    const { createApiKeyAction } = (await serverActionModules()).find((m) => m.module === "api-keys")!.actions as Record<string, (i: unknown) => Promise<any>>;
    for (let i = 0; i < 5; i++) {
      const { value } = await asSignedIn(t.owner.userId!, () => createApiKeyAction({ workspace: t.slug, name: `action ${i}`, role: "member", workflow: "", label: "" }));
      expect(value.ok).toBe(true);
      made.push(value.data.key);
    }
    // … and the service.
    for (let i = 0; i < 100; i++) made.push((await createApiKey(t.owner, { name: `svc ${i}` })).key);

    for (const key of made) {
      expect(key).toMatch(/^fd_[A-Za-z0-9_-]+$/);
      expect(Buffer.from(key.slice(3), "base64url").length * 8).toBeGreaterThanOrEqual(128);
    }
    expect(new Set(made).size).toBe(made.length);
    const rows = await db.apiKey.findMany({ where: { workspaceId: t.owner.workspaceId }, select: { keyHash: true, last4: true } });
    const hashes = new Set(rows.map((r) => r.keyHash));
    for (const key of made) expect(hashes.has(sha256Hex(key)), key.slice(0, 6)).toBe(true);
    expect(rows.every((r) => r.last4.length === 4)).toBe(true);
    const scan = await findInDatabase(made);
    expect(scan.hits).toEqual([]);
    expect(scan.tables).toBeGreaterThan(10);
    // The scan does read the keys' rows: it finds what is stored there (a hash).
    expect((await findInDatabase([sha256Hex(made[0])])).hits.some((h) => h.table.includes('"ApiKey"'))).toBe(true);
  });

  it("are never shown again: not in the list, not by id, not on the settings page", async () => {
    const list = await call(`${server.url}/api/v1/api-keys`, { headers: bearer(t.adminKey) });
    expect(list.status).toBe(200);
    expect(list.json.data.length).toBeGreaterThan(20);
    for (const item of list.json.data) expect(Object.keys(item)).not.toContain("key");
    const hashes = made.map(sha256Hex);
    for (const secret of [...made, ...hashes]) expect(list.text).not.toContain(secret);

    const cookie = await signIn(server.url, t.ownerEmail, PASSWORD);
    const page = await call(`${server.url}/w/${t.slug}/settings/api-keys`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain(t.adminKey.slice(-4)); // the page names keys by their last 4 characters
    for (const secret of [...made, ...hashes]) expect(page.text).not.toContain(secret);
  });

  it("a revoked key gets each route's 401 at once, on every route and header; other keys keep working", async () => {
    const victim = (await createApiKey(t.owner, { name: "to revoke", role: "admin" })).key;
    const probes = authProbes(t);
    // Works before (proves each probe reaches its route with this key).
    const ws = await call(`${server.url}/api/v1/workspace`, { headers: bearer(victim) });
    expect([ws.status, ws.json?.slug]).toEqual([200, t.slug]);
    // The key revokes itself over the API: the cache of the server that answered must forget it too.
    const id = ws.json.api_key_id;
    const revoked = await call(`${server.url}/api/v1/api-keys/${id}`, { method: "DELETE", headers: bearer(victim) });
    expect([revoked.status, typeof revoked.json?.revoked_at]).toEqual([200, "string"]);
    let n = 0;
    const before = await db.run.count();
    for (const [route, probe] of Object.entries(probes)) {
      for (const headers of credentialHeaders(probe.product, victim)) {
        const res = await call(`${server.url}${probe.path}`, probeInit(probe, headers));
        try {
          unauthorized[probe.product](res);
        } catch (error) {
          throw new Error(`${route} (${Object.keys(headers)[0]}) with a revoked key: ${(error as Error).message} ${res.status} ${res.text.slice(0, 200)}`);
        }
        n++;
      }
    }
    expect(await db.run.count()).toBe(before);
    expect(n).toBeGreaterThanOrEqual(40);
    const still = await call(`${server.url}/api/v1/workspace`, { headers: bearer(t.adminKey) });
    expect(still.status).toBe(200);
  });

  it("a made-up key, a near miss of a real one, and no key at all get the same 401s", async () => {
    const probes = authProbes(t);
    const nearMiss = `${t.adminKey.slice(0, -1)}${t.adminKey.endsWith("A") ? "B" : "A"}`;
    for (const key of [`fd_${randomToken()}`, nearMiss, t.adminKey.toUpperCase(), sha256Hex(t.adminKey)]) {
      for (const [route, probe] of Object.entries(probes)) {
        const res = await call(`${server.url}${probe.path}`, probeInit(probe, credentialHeaders(probe.product, key)[0]));
        try {
          unauthorized[probe.product](res);
        } catch (error) {
          throw new Error(`${route} with ${key.slice(0, 8)}…: ${(error as Error).message}`);
        }
      }
    }
    for (const [route, probe] of Object.entries(probes)) {
      const res = await call(`${server.url}${probe.path}`, probeInit(probe, {}));
      try {
        unauthorized[probe.product](res);
      } catch (error) {
        throw new Error(`${route} with no key: ${(error as Error).message}`);
      }
    }
  });
});
