/**
 * Every compatibility endpoint an adapter lists is served by the Next.js route file it
 * names, which exports exactly the adapter's handler under the HTTP method.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compatEndpoints } from ".";

const root = path.resolve(import.meta.dirname, "../..");

describe("compatibility routes", () => {
  it.each(compatEndpoints.map((e) => [`${e.method} ${e.path}`, e] as const))("%s has its route file", async (_name, endpoint) => {
    const file = path.join(root, endpoint.file);
    expect(existsSync(file), `${endpoint.file} exists`).toBe(true);
    // The file's folders must spell the endpoint's path (`:x` ↔ `[x]`).
    const folders = path.dirname(endpoint.file).replace(/^app/, "").replace(/\[([^\]]+)\]/g, ":$1");
    expect(folders).toBe(endpoint.path);
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    expect(mod[endpoint.method]).toBe(endpoint.handler);
  });

  it("no two endpoints claim the same method and path", () => {
    const keys = compatEndpoints.map((e) => `${e.method} ${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
