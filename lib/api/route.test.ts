/**
 * The route wrapper on real Request objects: body reading (content type, size while it
 * streams, JSON/YAML syntax), validation detail, and domain errors mapped to HTTP.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NotFoundError } from "../services/errors";
import { defineEndpoint } from "./endpoint";
import { apiRoute, unknownFields } from "./route";

const spec = defineEndpoint({
  method: "POST", path: "/things/{id}", operationId: "t", tag: "T", summary: "t", auth: false,
  params: z.object({ id: z.string().regex(/^\d+$/) }),
  body: { schema: z.object({ name: z.string().min(1), count: z.number().int().default(1) }), formats: ["json", "yaml"], maxBytes: 64 },
  responses: { 200: { description: "ok" } },
});
const handler = apiRoute(spec, async ({ params, body }) => {
  if (params.id === "404") throw new NotFoundError("Thing");
  return Response.json({ id: params.id, ...body });
});
const call = (init: RequestInit & { id?: string } = {}) =>
  handler(new Request("http://x/api/v1/things/1", { method: "POST", ...init, ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit),
    { params: Promise.resolve({ id: init.id ?? "1" }) });

/** A body stream with no content-length (chunked), `n` bytes long. */
function stream(n: number) {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= n) return c.close();
      const chunk = new TextEncoder().encode("x".repeat(Math.min(16, n - sent)));
      sent += chunk.byteLength;
      c.enqueue(chunk);
    },
  });
}

describe("apiRoute", () => {
  it("parses JSON and YAML bodies, applies defaults", async () => {
    const json = await call({ headers: { "content-type": "application/json; charset=utf-8" }, body: '{"name":"a"}' });
    expect(await json.json()).toEqual({ id: "1", name: "a", count: 1 });
    const yaml = await call({ headers: { "content-type": "text/yaml" }, body: "name: b\ncount: 3\n" });
    expect(await yaml.json()).toEqual({ id: "1", name: "b", count: 3 });
  });

  it("answers 400, 413, 415 and 422 with codes, never 5xx", async () => {
    const cases: [RequestInit, number, string][] = [
      [{ headers: { "content-type": "application/json" }, body: "{nope" }, 400, "invalid_json"],
      [{ headers: { "content-type": "application/yaml" }, body: "a: [1," }, 400, "invalid_yaml"],
      [{ headers: { "content-type": "application/json" }, body: "" }, 400, "invalid_body"],
      [{ headers: { "content-type": "application/json" }, body: new Uint8Array([0x7b, 0xff, 0x7d]) }, 400, "invalid_body"],
      [{ headers: { "content-type": "text/plain" }, body: "name=a" }, 415, "unsupported_media_type"],
      [{ body: '{"name":"a"}' }, 415, "unsupported_media_type"],
      [{ headers: { "content-type": "application/json", "content-length": "100000" }, body: "{}" }, 413, "payload_too_large"],
      [{ headers: { "content-type": "application/json" }, body: stream(1000) }, 413, "payload_too_large"],
      [{ headers: { "content-type": "application/json" }, body: '{"name":"","count":1.5}' }, 422, "validation_error"],
    ];
    for (const [init, status, code] of cases) {
      const res = await call(init);
      expect([res.status, (await res.json()).code]).toEqual([status, code]);
    }
    const invalid = await call({ headers: { "content-type": "application/json" }, body: '{"name":"","count":1.5}' });
    const { detail } = await invalid.json();
    expect(detail.map((d: { loc: unknown[] }) => d.loc)).toEqual([["body", "name"], ["body", "count"]]);
  });

  it("validates path parameters and maps domain errors", async () => {
    expect((await call({ id: "abc", headers: { "content-type": "application/json" }, body: '{"name":"a"}' })).status).toBe(422);
    const missing = await call({ id: "404", headers: { "content-type": "application/json" }, body: '{"name":"a"}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "not_found" });
  });

  it("lists unknown top-level fields", () => {
    expect(unknownFields({ name: "a", extra: 1 }, z.object({ name: z.string() }))).toEqual(["Unknown field 'extra' was ignored"]);
  });
});
