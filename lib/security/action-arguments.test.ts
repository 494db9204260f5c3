/**
 * Every server action (lib/actions/*) is an HTTP endpoint: anyone can call it with arguments of
 * any shape (React decodes whatever JSON the request carries). Called as a signed-in owner with
 * generated arguments — nothing, nulls, strings, arrays, objects with the right workspace and
 * wrong fields — each action must answer (its result, a refusal in words) or use Next.js's own
 * control flow (a redirect, not found); it must never throw, which Next.js turns into a 500.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { shutdownSandboxPool } from "../engine";
import { asSignedIn, serverActionModules, type ServerAction } from "./action-session";
import { createTenant, type Tenant } from "./tenants";

const CASES_PER_ACTION = Number(process.env.ACTION_FUZZ_CASES ?? 100);

/** Field names the actions' forms use, so generated objects reach past the first check. */
const FIELDS = [
  "workspace", "workflow", "label", "version", "inputs", "runIds", "runId", "run", "id", "name", "role", "definition",
  "definitionText", "value", "email", "userId", "token", "fromStep", "expiresInDays", "includeInputs", "content",
  "fileName", "baseUrl", "apiKey", "slug", "message", "versionNumber",
];

/**
 * Sign-in and sign-out set cookies through Auth.js, which this in-process harness cannot (it
 * carries a request's headers only): they get generated arguments over HTTP instead
 * (lib/api/action-post-screen.test.ts).
 */
const OVER_HTTP = new Set(["auth.signInAction", "auth.signOutAction"]);

let tenant: Tenant;

beforeAll(async () => {
  await applyMigrations();
  tenant = await createTenant("args");
}, 60_000);

afterAll(async () => {
  await shutdownSandboxPool();
});

/** Next.js's control flow, thrown on purpose: redirect(), notFound() and the like. */
const isNextControlFlow = (error: unknown) => /^NEXT_/.test(String((error as { digest?: unknown })?.digest ?? ""));

describe("server actions with arguments of any shape", () => {
  it("answer or redirect, never throw", async () => {
    const modules = await serverActionModules();
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
    const form = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 });
    const arg = fc.oneof(
      value,
      form,
      form.map((f) => ({ ...f, workspace: tenant.slug })),
    );
    const argLists = fc.array(arg, { maxLength: 3 });
    const thrown: string[] = [];
    let calls = 0;
    for (const { module, actions } of modules) {
      for (const [name, action] of Object.entries(actions)) {
        if (OVER_HTTP.has(`${module}.${name}`)) continue;
        await fc.assert(
          fc.asyncProperty(argLists, async (args) => {
            calls++;
            try {
              await asSignedIn(tenant.owner.userId!, () => (action as (...a: unknown[]) => Promise<unknown>)(...args));
            } catch (error) {
              if (isNextControlFlow(error)) return;
              thrown.push(`${module}.${name}(${JSON.stringify(args).slice(0, 200)}): ${(error as Error)?.message ?? error}`);
            }
          }),
          { numRuns: CASES_PER_ACTION, seed: 9 },
        );
      }
    }
    expect(calls).toBeGreaterThanOrEqual(modules.length * CASES_PER_ACTION);
    expect(thrown, thrown.slice(0, 10).join("\n")).toEqual([]);
  }, 120_000);
});
