/**
 * Malformed requests to every POST and PUT endpoint: a body that is not JSON, of the wrong
 * content type, too large, or of the wrong shape gets a clear 4xx (never a 5xx), and nothing
 * is stored.
 */
import { expect, test } from "@playwright/test";
import { auth } from "./api-helpers";
import { countRows } from "./helpers";

test("every POST/PUT refuses malformed bodies with a clear 4xx and stores nothing", async ({ request }) => {
  const run = await (await request.post("/api/v1/workflows/greet/runs", { headers: { ...auth, "content-type": "application/json" }, data: {} })).json();
  const writes: { method: "post" | "put"; path: string; optionalBody?: boolean; multipart?: boolean }[] = [
    { method: "post", path: "/api/v1/workflows/greet/runs" },
    { method: "post", path: `/api/v1/runs/${run.id}/cancel`, optionalBody: true },
    { method: "post", path: `/api/v1/runs/${run.id}/rerun`, optionalBody: true },
    { method: "post", path: "/api/v1/workflows" },
    { method: "post", path: "/api/v1/workflows/greet/versions" },
    { method: "put", path: "/api/v1/workflows/greet/labels/production" },
    { method: "post", path: "/api/v1/api-keys" },
    { method: "post", path: "/api/v1/files", multipart: true },
  ];
  const before = { runs: countRows("Run"), files: countRows("File") };
  const huge = `{"inputs": {"name": "${"x".repeat(2 * 1024 * 1024)}"}}`;

  for (const w of writes) {
    // Raw bytes: Playwright would JSON-encode a string body sent as application/json.
    const send = (headers: Record<string, string>, data: string | Buffer) =>
      request[w.method](w.path, { headers: { ...auth, ...headers }, data: typeof data === "string" ? Buffer.from(data) : data });
    const cases: [string, Promise<Awaited<ReturnType<typeof send>>>, number[]][] = [
      ["invalid JSON", send({ "content-type": "application/json" }, "{\"inputs\": {nope"), w.multipart ? [415] : [400]],
      ["wrong content type", send({ "content-type": "text/plain" }, "inputs=1"), [415]],
      ["form-encoded", send({ "content-type": "application/x-www-form-urlencoded" }, "a=1&b=2"), [415]],
      ["too large", send({ "content-type": "application/json" }, huge), w.multipart ? [415] : [413]],
      ["a JSON array", send({ "content-type": "application/json" }, "[1, 2, 3]"), w.multipart ? [415] : [422]],
      ["a JSON string", send({ "content-type": "application/json" }, "\"hello\""), w.multipart ? [415] : [422]],
      ["wrong field types", send({ "content-type": "application/json" }, JSON.stringify({ inputs: 5, name: 7, version: "seven", definition: [], role: "god", response_mode: "psychic", reason: 1 })), w.multipart ? [415] : [422]],
      ["bad UTF-8", send({ "content-type": "application/json" }, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), w.multipart ? [415] : [400]],
    ];
    if (!w.optionalBody && !w.multipart) cases.push(["empty body", send({ "content-type": "application/json" }, ""), [400, 422]]);
    if (w.multipart) cases.push(["multipart without a file", request.post(w.path, { headers: auth, multipart: { other: "x" } }), [422]]);

    for (const [name, pending, expected] of cases) {
      const res = await pending;
      expect(expected, `${w.method.toUpperCase()} ${w.path}: ${name} → ${res.status()} ${await res.text()}`).toContain(res.status());
      const body = await res.json();
      expect(typeof body.code, `${w.path}: ${name}`).toBe("string");
      expect(typeof body.message, `${w.path}: ${name}`).toBe("string");
      if (res.status() === 422) {
        for (const d of body.detail) expect(Object.keys(d).sort()).toEqual(["loc", "msg", "type"]);
      }
    }
  }
  // Validation detail points at the field.
  const bad = await request.post("/api/v1/workflows/greet/runs", { headers: { ...auth, "content-type": "application/json" }, data: { response_mode: "psychic", inputs: { name: 5 } } });
  expect(bad.status()).toBe(422);
  expect((await bad.json()).detail.map((d: { loc: unknown[] }) => d.loc)).toContainEqual(["body", "response_mode"]);
  const badInput = await request.post("/api/v1/workflows/greet/runs", { headers: { ...auth, "content-type": "application/json" }, data: { inputs: { name: 5 } } });
  expect(badInput.status()).toBe(422);
  expect((await badInput.json()).detail[0]).toMatchObject({ loc: ["inputs", "name"], type: "type_error" });
  const badKey = await request.post("/api/v1/workflows/greet/runs", { headers: { ...auth, "content-type": "application/json", "idempotency-key": "x".repeat(300) }, data: {} });
  expect(badKey.status()).toBe(422);

  expect(countRows("Run")).toBe(before.runs);
  expect(countRows("File")).toBe(before.files);
});

test("a missing or wrong key is 401 on every endpoint", async ({ request }) => {
  for (const [method, path] of [
    ["get", "/api/v1/runs"], ["get", "/api/v1/workflows"], ["post", "/api/v1/workflows/greet/runs"], ["get", "/api/v1/api-keys"],
    ["get", "/api/v1/workspace/signing-secret"], ["post", "/api/v1/workflows"], ["delete", "/api/v1/api-keys/1"],
  ] as const) {
    for (const headers of [{}, { authorization: "Bearer fd_not_a_key" }, { "x-api-key": "nope" }] as Record<string, string>[]) {
      const res = await request[method](path, { headers });
      expect(res.status(), `${method} ${path}`).toBe(401);
    }
  }
  expect((await request.get("/api/v1/openapi.json")).status()).toBe(200);
});
