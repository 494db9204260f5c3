/**
 * Server-action POSTs screened before Next.js (lib/api/action-post-screen.ts), over HTTP
 * against the production server: bodies Next.js would answer with a 500 get a 400 / 413 with
 * the API's error body, well-formed ones still reach the action, and route handlers' uploads
 * are never read here.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionBodyLimit, routeHandlerMatcher } from "./action-post-screen";
import { replyArgumentsProblem, replyFormProblem } from "./action-reply-shape";
import { startTestServer, testServerUnavailable, type TestServer } from "./test-server";

const root = path.resolve(import.meta.dirname, "../..");
const skip = testServerUnavailable();

describe("what the build's manifests say", () => {
  const dist = mkdtempSync(path.join(os.tmpdir(), "fd-dist-"));
  mkdirSync(path.join(dist, "server"));
  writeFileSync(path.join(dist, "routes-manifest.json"), JSON.stringify({
    staticRoutes: [{ page: "/", regex: "^/(?:/)?$" }, { page: "/api/files", regex: "^/api/files(?:/)?$" }, { page: "/login", regex: "^/login(?:/)?$" }],
    dynamicRoutes: [{ page: "/api/files/[id]", regex: "^/api/files/([^/]+?)(?:/)?$" }, { page: "/w/[ws]", regex: "^/w/([^/]+?)(?:/)?$" }],
  }));
  writeFileSync(path.join(dist, "server/app-paths-manifest.json"), JSON.stringify({
    "/page": "app/page.js", "/api/files/route": "app/api/files/route.js", "/login/page": "app/login/page.js",
    "/api/files/[id]/route": "app/api/files/[id]/route.js", "/w/[ws]/page": "app/w/[ws]/page.js",
  }));

  it("tells route handlers from pages and from paths nothing serves", () => {
    const isRouteHandler = routeHandlerMatcher(dist);
    expect(["/api/files", "/api/files/", "/api/files/abc"].map(isRouteHandler)).toEqual([true, true, true]);
    expect(["/", "/login", "/w/demo", "/nothing", "/api/files/a/b"].map(isRouteHandler)).toEqual([false, false, false, false, false]);
  });

  it("reads the action body limit as bytes", () => {
    const limit = (value: unknown) => {
      writeFileSync(path.join(dist, "required-server-files.json"), JSON.stringify({ config: { experimental: { serverActions: value === undefined ? {} : { bodySizeLimit: value } } } }));
      return actionBodyLimit(dist);
    };
    expect([limit("2mb"), limit("512kb"), limit(1000), limit(undefined)]).toEqual([2 * 1024 ** 2, 512 * 1024, 1000, 1024 ** 2]);
    expect(() => limit("lots")).toThrow(/bodySizeLimit/);
  });
});

describe.skipIf(skip)("server-action POSTs over HTTP", () => {
  let server: TestServer;
  let actionIds: Record<string, string>;
  beforeAll(async () => {
    // Sign-in needs the secret npm start would set (scripts/start.ts).
    server = await startTestServer({ env: { AUTH_SECRET: "action-post-screen-test" } });
    const manifest = JSON.parse(readFileSync(path.join(root, ".next/server/server-reference-manifest.json"), "utf8")) as {
      node: Record<string, { exportedName: string }>;
    };
    actionIds = Object.fromEntries(Object.entries(manifest.node).map(([id, a]) => [a.exportedName, id]));
  }, 90_000);
  afterAll(() => server?.stop());

  const post = (pathname: string, headers: Record<string, string>, body: string | Uint8Array<ArrayBuffer>) =>
    fetch(`${server.url}${pathname}`, { method: "POST", headers, body, redirect: "manual" });
  const form = (boundary: string) => ({ "content-type": `multipart/form-data; boundary=${boundary}` });
  const part = (name: string, value: string) => `--XX\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const unclosed = `${part("a", "v")}--YY`;

  it("a form body that does not parse, at a page or at no route: 400 with the API's error body", async () => {
    for (const pathname of ["/login", "/", "/w/demo/runs", "/no/such/page", "/api/v1/no-such-route"]) {
      for (const [headers, body] of [[form("XX"), unclosed], [{ "content-type": "multipart/form-data" }, `${part("a", "v")}--XX--\r\n`]] as const) {
        const res = await post(pathname, headers, body);
        expect(res.status, `${pathname} ${headers["content-type"]}`).toBe(400);
        expect(await res.json()).toEqual({ code: "bad_request", message: expect.stringMatching(/multipart\/form-data body does not parse/) });
      }
    }
  });

  it("a form body over the action limit: 413, without reading it all", async () => {
    const big = Uint8Array.from(Buffer.concat([Buffer.from(part("a", "")), Buffer.alloc(3 * 1024 * 1024, 97), Buffer.from("\r\n--XX--\r\n")]));
    const res = await post("/login", form("XX"), big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "payload_too_large" });
  });

  it("an action's arguments that are not a JSON array: 400; a well-formed call still reaches the action", async () => {
    const call = (headers: Record<string, string>, body: string) => post("/login", { "next-action": actionIds.signInAction, ...headers }, body);
    for (const body of ["{{{", '"x"', "", '{"email":"a"}']) {
      const res = await call({ "content-type": "text/plain;charset=UTF-8" }, body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ code: "bad_request", message: "A server action's arguments must be a JSON array" });
    }
    const noRoot = await call(form("XX"), `${part("email", "a@b.c")}--XX--\r\n`);
    expect(noRoot.status).toBe(400);
    expect(await noRoot.json()).toMatchObject({ message: expect.stringContaining('field "0"') });
    // Arguments the action does not expect: the action answers (it checks its own input).
    for (const body of ["[]", "[1,2,3]", "[null,null]"]) {
      const res = await call({ "content-type": "text/plain;charset=UTF-8" }, body);
      expect(res.status, body).toBe(200);
      expect(await res.text()).toContain("Enter your email and password.");
    }
    // As the browser sends it: the form's entries, then field "0" (the previous state, and a
    // reference to those entries).
    const viaForm = await call(form("XX"), `${part("_1_email", "nobody@flowdeck.local")}${part("_1_password", "wrong")}${part("0", '[null,"$K1"]')}--XX--\r\n`);
    expect(viaForm.status).toBe(200);
    expect(await viaForm.text()).toContain("That email and password do not match an account.");
  });

  it("sign-in and sign-out, called with generated arguments: never a 5xx (the other actions: lib/security/action-arguments.test.ts)", async () => {
    const args = fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.constantFrom("email", "password", "callbackUrl"), fc.jsonValue({ maxDepth: 1 }))), { maxLength: 3 });
    for (const name of ["signInAction", "signOutAction"]) {
      await fc.assert(fc.asyncProperty(args, async (list) => {
        const res = await post("/login", { "next-action": actionIds[name], "content-type": "text/plain;charset=UTF-8" }, JSON.stringify(list));
        await res.arrayBuffer();
        expect(res.status, `${name}(${JSON.stringify(list).slice(0, 200)})`).toBeLessThan(500);
      }), { numRuns: 30, seed: 3 });
    }
  });

  it("arguments with generated React references: refused with 400 exactly when the check says so, otherwise the action answers; never a 5xx", async () => {
    // Every kind letter React's decoder knows, hex row ids, paths, and junk after the "$".
    const ref = fc.tuple(
      fc.constantFrom(..."$@hHTQWKiIN-uDnAOoUSsLlGgMmVBRrXx0123456789abcdefz:"),
      fc.oneof(fc.constantFrom("", "0", "1", "2", "a", "-5", "9".repeat(301), ":0", ":a", ":constructor", "0:0:0"), fc.string({ maxLength: 6 })),
    ).map(([kind, rest]) => `$${kind}${rest}`);
    const leaf = fc.oneof(ref, ref, fc.jsonValue({ maxDepth: 0 }));
    const value = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.constantFrom("a", "email", "0"), leaf, { maxKeys: 2 }));
    const args = fc.array(value, { maxLength: 3 });
    const row = fc.tuple(fc.constantFrom("1", "2", "10"), fc.oneof(args.map((a) => JSON.stringify(a)), fc.constant("not json")));
    const body = fc.oneof(
      args.map((a) => JSON.stringify(a)),
      fc.tuple(fc.array(row, { maxLength: 2 }), args, fc.array(row, { maxLength: 1 })).map(([before, root, after]) => {
        const f = new FormData();
        for (const [name, text] of before) f.append(name, text);
        f.append("0", JSON.stringify(root));
        for (const [name, text] of after) f.append(name, text);
        return f;
      }),
    );
    let refused = 0;
    await fc.assert(fc.asyncProperty(body, async (b) => {
      const text = typeof b === "string";
      const res = await fetch(`${server.url}/login`, {
        method: "POST", redirect: "manual", body: b,
        headers: { "next-action": actionIds.signInAction, ...(text ? { "content-type": "text/plain;charset=UTF-8" } : {}) },
      });
      const answer = await res.text();
      const problem = text ? replyArgumentsProblem(b) : replyFormProblem(b);
      const shown = text ? b : JSON.stringify([...b.entries()]);
      expect(res.status, `${shown} → ${answer.slice(0, 300)}`).toBe(problem ? 400 : 200);
      if (problem) refused++;
    }), { numRuns: 300, seed: 5 });
    expect(refused).toBeGreaterThan(50); // the generator reaches both sides
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it("arguments over React's array limit: 400 (React's decoder would throw); just under it, the action answers", async () => {
    const call = (args: unknown[]) => post("/login", { "next-action": actionIds.signInAction, "content-type": "text/plain;charset=UTF-8" }, JSON.stringify(args));
    const half = "x".repeat(500_000);
    const refs = (n: number) => [[1, 2, 3], ...Array.from({ length: n }, () => "$0:0")];
    for (const args of [[half, half], refs(19), refs(40)]) {
      const res = await call(args);
      expect(res.status, JSON.stringify(args).slice(0, 80)).toBe(400);
      expect(await res.json()).toMatchObject({ code: "bad_request", message: expect.stringMatching(/array slots/) });
    }
    for (const args of [[half], [{ a: half, b: half.slice(10) }], refs(3)]) {
      const res = await call(args);
      expect(res.status, JSON.stringify(args).slice(0, 80)).toBe(200);
      expect(await res.text()).toContain("Enter your email and password.");
    }
  });

  it("a form posted without JavaScript: the page's own form reaches the action; broken action references get 400", async () => {
    const page = await (await fetch(`${server.url}/login`)).text();
    const hidden = [...page.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g)]
      .map(([, name, value]) => [name, (value ?? "").replaceAll("&quot;", '"').replaceAll("&amp;", "&")] as const);
    expect(hidden.map(([name]) => name)).toContain("$ACTION_REF_1");
    const submit = (fields: (readonly [string, string])[]) => {
      const body = new FormData();
      for (const [name, value] of fields) body.append(name, value);
      return fetch(`${server.url}/login`, { method: "POST", body, redirect: "manual" });
    };
    const own = await submit([...hidden, ["email", "nobody@flowdeck.local"], ["password", "wrong"]]);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain("That email and password do not match an account.");
    const meta = JSON.parse(hidden.find(([name]) => name === "$ACTION_1:0")![1]) as { id: string };
    for (const fields of [
      [["$ACTION_REF_1", ""], ["$ACTION_1:0", JSON.stringify({ id: meta.id, bound: "$@1" })]],
      [["$ACTION_REF_1", ""], ["$ACTION_1:0", JSON.stringify({ id: meta.id, bound: ["$Q1"] })]],
      [["$ACTION_REF_1", ""], ["$ACTION_1:0", JSON.stringify({ id: meta.id, bound: "$@1" })], ["$ACTION_1:1", '{"not":"an array"}']],
    ] as [string, string][][]) {
      const res = await submit(fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(await res.json()).toMatchObject({ code: "bad_request", message: expect.stringMatching(/form's bound argument/) });
    }
  });

  it("a route handler's upload is not read here (the route answers), and the server stays healthy", async () => {
    const upload = await post("/api/v1/files", form("XX"), unclosed);
    expect(upload.status).toBe(401); // the route's own answer: no API key
    expect(await upload.json()).toMatchObject({ code: "unauthorized" });
    // An encoded slash keeps a dynamic segment whole: still Unstructured's route (FastAPI's shape).
    const odd = await post("/api/v1/workflows/..%2F..%2Fetc/run", form("XX"), unclosed);
    expect(odd.status).toBe(401);
    expect(await odd.json()).toHaveProperty("detail");
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/login`)).status).toBe(200);
    expect(server.output()).not.toMatch(/Failed to parse body as FormData|CreateListFromArrayLike/);
  });
});
