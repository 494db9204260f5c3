/**
 * The fuzz generators on their own (no server): every case they make can be put on the wire,
 * mutations and deep values serialize, and the schema-derived values of the OpenAPI document
 * are valid for the zod schemas the handlers use often enough to reach past validation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { endpoints } from "../endpoints";
import { buildOpenApiDocument } from "../openapi";
import { compatFamilies } from "./compat-arbitraries";
import { listOperations, operationCaseArb, schemaArb, type OpenApiDocument } from "./openapi-arbitraries";
import { flowdeckPools } from "./flowdeck-pools";
import { sharedPools } from "./pools";
import { applyMutations, nestedArrays, nestedObjects, RawJson, toJsonText } from "./values";
import type { FuzzWorld } from "./world";

const uuid = () => crypto.randomUUID();
const local = { origin: "http://127.0.0.1:9", port: 9, host: "127.0.0.1", requests: [] } as unknown as FuzzWorld["fileServer"];
/** A world with made-up ids: enough for the generators, which only draw from it. */
const world = {
  a: { workspaceId: 1 }, b: { workspaceId: 2 },
  keys: { admin: "fd_admin", member: "fd_member", boundGreet: "fd_greet", boundDoc: "fd_doc", revoked: "fd_revoked", otherWorkspace: "fd_other" },
  protectedKeyIds: [20], sacrificialKeyIds: [1, 2, 3], otherKeyId: 30,
  workflows: Object.fromEntries(["greet", "doc", "docs", "form", "fail", "nap"].map((name, i) => [name, { id: i + 1, uuid: uuid(), name }])),
  otherWorkflows: [{ id: 9, uuid: uuid(), name: "greet" }],
  runs: [1, 2, 3].map((id) => ({ id, uuid: uuid() })), otherRuns: [{ id: 9, uuid: uuid() }],
  files: [uuid(), uuid(), uuid()], otherFiles: [uuid()],
  shareTokens: { live: "live", revoked: "revoked", expired: "expired", other: "other" },
  fileServer: local, callbackReceiver: local,
} as unknown as FuzzWorld;

const doc = buildOpenApiDocument() as unknown as OpenApiDocument;
const shared = sharedPools(world);
const pools = flowdeckPools(shared);
const families: [string, fc.Arbitrary<import("./http-case").HttpCase>][] = [
  ...listOperations(doc).map((ref) => [`api:${ref.operation.operationId}`, operationCaseArb(doc, ref, pools)] as [string, fc.Arbitrary<import("./http-case").HttpCase>]),
  ...Object.entries(compatFamilies(shared)),
];

describe("fuzz generators", () => {
  it.each(families.map(([name]) => name))("%s: every case can be sent (target and header bytes Node accepts)", (name) => {
    const arb = families.find(([n]) => n === name)![1];
    for (const c of fc.sample(arb, { numRuns: 40, seed: 7 })) {
      expect(c.target, c.target).toMatch(/^\/[\x21-\x7e]*$/);
      for (const [k, v] of Object.entries(c.headers)) {
        expect(k).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
        expect(v, `${k}: ${v.slice(0, 40)}`).toMatch(/^[\t\x20-\x7e\x80-\xff]*$/);
      }
    }
  });

  it("mutations, deep values and prototype keys serialize to JSON the server can parse", () => {
    const deep = { a: nestedArrays(50_000), b: nestedObjects(1_000), c: [new RawJson("[1,2]")] };
    const text = toJsonText(deep);
    const parsed = JSON.parse(text);
    expect(parsed.c).toEqual([[1, 2]]);
    const proto = JSON.parse('{"__proto__":{"x":1}}');
    expect(toJsonText({ k: proto })).toBe('{"k":{"__proto__":{"x":1}}}');
    const { value, notes } = applyMutations({ a: { b: [1, 2] } }, [{ kind: "replace", at: 3, value: null }, { kind: "add", at: 0, key: "__proto__", value: 1 }]);
    expect(Object.keys(value as object)).toContain("__proto__");
    expect(notes).toHaveLength(2);
  });

  it("schema-derived bodies pass the handlers' own schemas often enough to reach the services", () => {
    for (const ref of listOperations(doc)) {
      const spec = endpoints.find((e) => e.operationId === ref.operation.operationId)!;
      const schema = ref.operation.requestBody?.content["application/json"]?.schema;
      if (!schema || !spec.body) continue;
      const values = fc.sample(schemaArb(schema, { doc, hints: {}, operationId: "", depth: 0 }), { numRuns: 60, seed: 3 });
      const valid = values.filter((v) => spec.body!.schema.safeParse(v).success).length;
      expect(valid, `${ref.operation.operationId}: ${valid}/60 generated bodies valid`).toBeGreaterThanOrEqual(15);
    }
  });
});
