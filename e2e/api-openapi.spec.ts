/**
 * GET /api/v1/openapi.json is a structurally valid OpenAPI 3.1 document that lists every
 * route handler under app/api/v1 (found on disk), and /docs/api renders it.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { screenshotPath } from "./helpers";

type Json = Record<string, unknown>;

/**
 * Every `METHOD path` of Flowdeck's own API under app/api/v1, read from the route files.
 * Datalab's and Unstructured's compatibility routes also live under /api/v1 (their products'
 * paths); they answer in those products' shapes and are documented in docs/compat/, not here.
 */
function routesOnDisk(): string[] {
  const root = path.resolve("app/api/v1");
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === "route.ts") {
        const source = readFileSync(full, "utf8");
        if (source.includes("@/lib/compat/")) continue;
        const route = "/" + path.relative(root, dir).split(path.sep).filter(Boolean).map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/");
        for (const m of source.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g)) out.push(`${m[1]} ${route}`);
      }
    }
  };
  walk(root);
  return out.sort();
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

test("openapi.json is OpenAPI 3.1, structurally sound, and lists every route", async ({ request }) => {
  const res = await request.get("/api/v1/openapi.json");
  expect(res.status()).toBe(200);
  const doc = (await res.json()) as Json & { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json>; securitySchemes: Json } };

  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  expect(Object.keys(doc.components.securitySchemes)).toEqual(["bearerAuth", "apiKeyHeader"]);

  const listed: string[] = [];
  const operationIds = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths)) {
    expect(p.startsWith("/"), p).toBe(true);
    const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      expect(HTTP_METHODS, `${p} ${method}`).toContain(method);
      listed.push(`${method.toUpperCase()} ${p}`);
      expect(typeof op.operationId).toBe("string");
      expect(operationIds.has(op.operationId as string), `duplicate ${op.operationId}`).toBe(false);
      operationIds.add(op.operationId as string);
      const responses = op.responses as Record<string, Json>;
      expect(Object.keys(responses).length).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(responses)) {
        expect(status, `${p} ${method}`).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(typeof r.description, `${p} ${method} ${status}`).toBe("string");
      }
      const params = (op.parameters ?? []) as Json[];
      for (const param of params) {
        expect(["path", "query", "header", "cookie"]).toContain(param.in);
        expect(typeof param.name).toBe("string");
        expect(typeof param.schema).toBe("object");
      }
      // Every {param} of the path is declared as a required path parameter, and nothing else is.
      const pathParams = params.filter((x) => x.in === "path");
      expect(pathParams.map((x) => x.name).sort(), `${p} ${method}`).toEqual([...templated].sort());
      for (const x of pathParams) expect(x.required).toBe(true);
      if (op.requestBody) expect(Object.keys((op.requestBody as Json).content as Json).length).toBeGreaterThan(0);
    }
  }
  expect(listed.sort()).toEqual(routesOnDisk());

  // Every $ref points at a component that exists.
  const refs = new Set<string>();
  const collect = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) k === "$ref" ? refs.add(String(x)) : collect(x);
  };
  collect(doc);
  expect(refs.size).toBeGreaterThan(10);
  for (const ref of refs) {
    expect(ref).toMatch(/^#\/components\/schemas\//);
    expect(doc.components.schemas[ref.split("/").pop()!], ref).toBeDefined();
  }
  // The schemas are the handlers' own: the run request carries the documented options.
  const start = doc.components.schemas.StartRunRequest as { properties: Record<string, Json> };
  expect(Object.keys(start.properties)).toEqual(expect.arrayContaining([
    "inputs", "label", "version", "metadata", "external_id", "response_mode", "callback_url", "return_all_outputs",
  ]));
  expect((start.properties.response_mode as Json).enum).toEqual(["blocking", "streaming", "async"]);
  expect(JSON.stringify(doc.paths["/workflows/{workflow}/runs"].post.callbacks)).toContain("RunCallback");
});

test("the API reference page renders the document, with auth and signature headers documented", async ({ page }) => {
  await page.goto("/docs/api");
  await expect(page.getByRole("heading", { name: "Flowdeck API", level: 1 })).toBeVisible();
  await expect(page.locator("#authentication")).toContainText("Authorization: Bearer");
  await expect(page.locator("#callbacks")).toContainText("X-Flowdeck-Signature");
  await expect(page.getByTestId("operation")).toHaveCount(routesOnDisk().length);
  await expect(page.locator("#startRun")).toContainText("/api/v1/workflows/{workflow}/runs");
  await expect(page.locator("#startRun")).toContainText("response_mode");
  await expect(page.locator("#schema-Run")).toContainText("step_outputs");
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.screenshot({ path: screenshotPath("api-docs-top") });
  await page.locator("#startRun").scrollIntoViewIfNeeded();
  await page.locator("#startRun").screenshot({ path: screenshotPath("api-docs-start-run") });
});
