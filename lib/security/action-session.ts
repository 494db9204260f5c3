/**
 * For the security tests: calls server actions (lib/actions/*) in this process exactly as a
 * signed-in browser would, with no change to production code.
 *
 * Server actions find their caller through Auth.js: `requireActor` → `auth()` → Next.js's
 * `headers()` → the session cookie, a JWT that Auth.js decrypts with AUTH_SECRET; then the
 * membership is looked up in the database. Outside a request, `headers()` (and the
 * `revalidatePath` the actions call after a change) throw, because Next.js keeps the request
 * in two AsyncLocalStorage stores. `asSignedIn` runs a call inside those two stores with a
 * request whose only credential is a real session cookie, minted with Auth.js's own encoder.
 * So the whole production path runs: cookie decryption, session callback, membership lookup,
 * role checks and tenancy in the services. A cookie signed with another secret, or no cookie,
 * is refused the way production refuses it (a redirect to /login).
 *
 * It leans on two Next.js internals (work-async-storage and work-unit-async-storage, in
 * next/dist/server/app-render); if a Next.js upgrade moves them, these tests fail loudly
 * rather than pass. Test-only: nothing in the app imports this module.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ROOT } from "./route-inventory";

// Auth.js reads AUTH_SECRET when lib/auth/auth.ts loads: set it before any action is imported
// (actions are only loaded through serverActionModules() below, after this line ran).
process.env.AUTH_SECRET ??= "flowdeck-security-tests-auth-secret";
// Next.js creates its request stores from this global (its server sets it at start-up).
(globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage ??= AsyncLocalStorage;

const require = createRequire(import.meta.url);

/** The session cookie of a plain-http site (Auth.js prefixes `__Secure-` only over https). */
export const SESSION_COOKIE = "authjs.session-token";

/** A session cookie value for `userId`, as Auth.js issues one at sign-in. */
export async function mintSessionToken(userId: string, secret = process.env.AUTH_SECRET!): Promise<string> {
  const { encode } = await import("next-auth/jwt");
  return encode({ token: { sub: userId, email: `${userId}@session.test` }, secret, salt: SESSION_COOKIE });
}

interface NextStores {
  workAsyncStorage: AsyncLocalStorage<unknown>;
  workUnitAsyncStorage: AsyncLocalStorage<unknown>;
}

function nextStores(): NextStores {
  const { workAsyncStorage } = require("next/dist/server/app-render/work-async-storage.external.js");
  const { workUnitAsyncStorage } = require("next/dist/server/app-render/work-unit-async-storage.external.js");
  return { workAsyncStorage, workUnitAsyncStorage };
}

export interface ActionCall<T> {
  value: T;
  /** The paths the action asked Next.js to revalidate (its cache tags). */
  revalidated: string[];
}

/**
 * Runs `fn` as a server-action request whose cookie header is `cookie` (e.g. from
 * sessionCookieFor(userId)); null sends no cookie at all.
 */
export async function inActionRequest<T>(cookie: string | null, fn: () => Promise<T>): Promise<ActionCall<T>> {
  const { workAsyncStorage, workUnitAsyncStorage } = nextStores();
  const headers = new Headers({ host: "flowdeck.test", "x-forwarded-proto": "http", ...(cookie ? { cookie } : {}) });
  const workStore: Record<string, unknown> = {
    route: "/security-test", page: "/security-test/page", incrementalCache: {},
    forceStatic: false, dynamicShouldError: false, isStaticGeneration: false,
  };
  const requestStore = { type: "request", phase: "action", headers, url: { pathname: "/security-test", search: "" } };
  const value = await workAsyncStorage.run(workStore, () => workUnitAsyncStorage.run(requestStore, fn));
  const tags = (workStore.pendingRevalidatedTags as { tag: string }[] | undefined) ?? [];
  return { value, revalidated: tags.map((t) => t.tag) };
}

/** The cookie header of a signed-in `userId`. */
export async function sessionCookieFor(userId: string): Promise<string> {
  return `${SESSION_COOKIE}=${await mintSessionToken(userId)}`;
}

/** Runs `fn` as the signed-in user `userId`. */
export async function asSignedIn<T>(userId: string, fn: () => Promise<T>): Promise<ActionCall<T>> {
  return inActionRequest(await sessionCookieFor(userId), fn);
}

export type ServerAction = (...args: never[]) => Promise<unknown>;

/** Every server action: the exports of each lib/actions file that starts with "use server". */
export async function serverActionModules(): Promise<{ module: string; actions: Record<string, ServerAction> }[]> {
  const dir = path.join(ROOT, "lib/actions");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .filter((f) => /^\s*["']use server["']/.test(readFileSync(path.join(dir, f), "utf8")))
    .sort();
  const out: { module: string; actions: Record<string, ServerAction> }[] = [];
  for (const file of files) {
    const mod = (await import(/* @vite-ignore */ path.join(dir, file))) as Record<string, unknown>;
    const actions = Object.fromEntries(
      Object.entries(mod).filter((e): e is [string, ServerAction] => typeof e[1] === "function"),
    );
    out.push({ module: file.replace(/\.ts$/, ""), actions });
  }
  return out;
}

/** True for the error Next.js throws to redirect (e.g. to /login when nobody is signed in). */
export function isRedirect(error: unknown, to?: string): boolean {
  const digest = (error as { digest?: unknown })?.digest;
  return typeof digest === "string" && digest.startsWith("NEXT_REDIRECT") && (to === undefined || digest.includes(`;${to};`));
}
