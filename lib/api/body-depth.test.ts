/**
 * Bodies nested too deeply are refused where they are read (400 body_too_deep), for every
 * route that reads JSON or YAML through lib/api/body.ts. Found by lib/api/fuzz.test.ts: a re-run
 * whose inputs nested objects 20,000 deep overflowed the stack in requestHash (a 500).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiRequestError, MAX_BODY_DEPTH, nestingDepth, readRequestBody } from "./body";
import { defineEndpoint } from "./endpoint";
import { apiRoute } from "./route";
import { requestHash } from "./run-response";

const arrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const jsonRequest = (text: string, type = "application/json") =>
  new Request("http://x/", { method: "POST", headers: { "content-type": type }, body: text });

describe("nestingDepth", () => {
  it("counts arrays and objects, not scalars, without recursing", () => {
    expect(nestingDepth(1)).toBe(0);
    expect(nestingDepth({})).toBe(1);
    expect(nestingDepth({ a: [1, { b: [] }] })).toBe(4);
    expect(nestingDepth(JSON.parse(arrays(200_000)))).toBe(200_000);
    expect(nestingDepth(JSON.parse(arrays(200_000)), 10)).toBe(11); // stops past the limit
  });
});

describe("readRequestBody", () => {
  it(`takes ${MAX_BODY_DEPTH} levels and refuses one more (JSON and YAML)`, async () => {
    expect(nestingDepth(await readRequestBody(jsonRequest(objects(MAX_BODY_DEPTH)), { formats: ["json"], optional: false, maxBytes: 1 << 20 })))
      .toBe(MAX_BODY_DEPTH);
    for (const [text, type] of [[objects(MAX_BODY_DEPTH + 1), "application/json"], [arrays(150_000), "application/json"], [arrays(150), "application/yaml"]]) {
      const error = await readRequestBody(jsonRequest(text, type), { formats: ["json", "yaml"], optional: false, maxBytes: 1 << 20 }).catch((e) => e);
      expect(error).toBeInstanceOf(ApiRequestError);
      expect(error).toMatchObject({ status: 400, code: "body_too_deep" });
    }
  });

  it("a route that hashes its body answers 400, not 500, for a body 20,000 levels deep", async () => {
    const spec = defineEndpoint({
      method: "POST", path: "/x", operationId: "x", tag: "X", summary: "x", auth: false,
      body: { schema: z.object({ inputs: z.unknown() }) },
      responses: { 200: { description: "ok" } },
    });
    const handler = apiRoute(spec, async ({ body }) => Response.json({ hash: requestHash(body) }));
    const res = await handler(jsonRequest(`{"inputs":${objects(20_000)}}`), { params: Promise.resolve({}) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "body_too_deep" });
    const ok = await handler(jsonRequest(`{"inputs":${objects(50)}}`), { params: Promise.resolve({}) });
    expect(ok.status).toBe(200);
  });
});
