/** How an adapter lists its endpoints: method, path (`:name` for a parameter) and handler. */
export type CompatHandler = (req: Request, context?: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

export interface CompatEndpoint {
  method: "GET" | "POST";
  /** The product's path, e.g. `/v1/workflows/run/:id`. */
  path: string;
  handler: CompatHandler;
  /** The Next.js route file that serves it (checked by lib/compat/routes.test.ts). */
  file: string;
}

/** The path parameters if `path` matches `pattern`, else null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) {
      if (!got[i]) return null;
      try {
        params[want[i].slice(1)] = decodeURIComponent(got[i]);
      } catch {
        return null;
      }
    } else if (want[i] !== got[i]) return null;
  }
  return params;
}
