/**
 * For the security tests: every HTTP route the app serves, read from the files themselves
 * (`app/**\/route.ts` and the methods each one exports), so a matrix built on this list
 * notices a new route or method that has no row yet.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type RouteMethod = (typeof HTTP_METHODS)[number];

export interface RouteFile {
  /** Relative to the repository, e.g. `app/api/v1/runs/[run]/route.ts`. */
  file: string;
  /** The URL pattern, e.g. `/api/v1/runs/[run]`. */
  pattern: string;
  methods: RouteMethod[];
}

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name === "route.ts") out.push(full);
  }
  return out;
}

/** The HTTP methods a route file exports (`export const GET =`, `export function POST`, `export { GET, POST } from`). */
export function exportedMethods(source: string): RouteMethod[] {
  const found = new Set<RouteMethod>();
  const isMethod = (name: string): name is RouteMethod => (HTTP_METHODS as readonly string[]).includes(name);
  for (const m of source.matchAll(/export\s+(?:const|let|var|async\s+function|function)\s+([A-Z]+)\b/g)) {
    if (isMethod(m[1])) found.add(m[1]);
  }
  for (const m of source.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().split(/\s+as\s+/).pop()!.trim();
      if (isMethod(name)) found.add(name);
    }
  }
  return HTTP_METHODS.filter((method) => found.has(method));
}

/** Every route file under app/, sorted by pattern. */
export function listRouteFiles(): RouteFile[] {
  return walk(path.join(ROOT, "app"), [])
    .map((full) => {
      const file = path.relative(ROOT, full).split(path.sep).join("/");
      const dir = path.posix.dirname(file).replace(/^app/, "");
      // Route groups `(name)` do not appear in the URL.
      const pattern = dir.split("/").filter((seg) => !/^\(.+\)$/.test(seg)).join("/") || "/";
      return { file, pattern, methods: exportedMethods(readFileSync(full, "utf8")) };
    })
    .sort((a, b) => a.pattern.localeCompare(b.pattern));
}

/** "METHOD pattern" keys of every route and method, e.g. `GET /api/v1/runs/[run]`. */
export function routeKeys(): string[] {
  return listRouteFiles().flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`));
}
