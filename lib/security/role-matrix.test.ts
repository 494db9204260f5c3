/**
 * Role matrix: viewer / member / admin / owner (sessions, signed in through Auth.js's real
 * credentials form) and member / admin API keys, against every route of the API over HTTP
 * and every server action in this process (real session cookie, ./action-session.ts).
 *
 * The expected table is written out below and checked three ways: against `can()` in
 * lib/services/permissions.ts, against the HTTP answers (allowed → 2xx; refused → 403 with
 * the reason in words), and against the actions (allowed → ok; refused → the same reason).
 * Every route file/method and every action must be classified, so a new one without a class
 * fails. All refused calls run first, and the workspace must be exactly as before them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asSignedIn, serverActionModules, type ServerAction } from "./action-session";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { TestServer } from "../api/test-server";
import { testServerUnavailable } from "../api/test-server";
import type { Role } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { createInvitation } from "../services/invitations";
import { can, type Permission } from "../services/permissions";
import { setSecret } from "../services/secrets";
import { createShareLink } from "../services/share-links";
import { call, signIn, startSecurityServer, type Answer, type CallInit } from "./http-kit";
import { routeKeys } from "./route-inventory";
import { addMember, createTenant, createUser, PASSWORD, snapshotWorkspace, type Tenant } from "./tenants";

const skip = testServerUnavailable();
const ROLES: Role[] = ["viewer", "member", "admin", "owner"];

/** The table itself: what each role may do. */
const TABLE: Record<Permission, Record<Role, boolean>> = {
  read: { viewer: true, member: true, admin: true, owner: true },
  run: { viewer: false, member: true, admin: true, owner: true },
  edit: { viewer: false, member: true, admin: true, owner: true },
  manage: { viewer: false, member: false, admin: true, owner: true },
};

/** The reason a refused caller reads (lib/services/permissions.ts assertCan). */
function reason(role: Role, permission: Permission): string {
  return permission === "run" ? "Viewers cannot start runs; ask an admin for the member role" : `Your role (${role}) cannot do this`;
}

// ─── HTTP routes ─────────────────────────────────────────────────────────────────────────────

interface Ctx {
  t: Tenant;
  /** A unique number per request (names of things a request creates). */
  n: number;
}
type Req = (c: Ctx) => Promise<{ path: string; init?: CallInit }> | { path: string; init?: CallInit };

type RouteRow =
  | { kind: "api"; permission: Permission; req: Req }
  /** Compatibility routes take API keys only (member or admin): both may read and run. */
  | { kind: "compat"; permission: "read" | "run"; req: (c: Ctx, key: string, boundKey: string) => { path: string; init?: CallInit } }
  | { kind: "public"; why: string };

const def = { steps: [{ id: "s", kind: "template", config: { template: "role matrix" } }] };
const jsonInit = (method: string, body: unknown): CallInit => ({ method, json: body });
const upload = (field = "file"): CallInit => {
  const form = new FormData();
  form.append(field, new Blob(["hello"], { type: "text/plain" }), "hello.txt");
  form.append("user", "u");
  return { method: "POST", body: form };
};

const ROUTES: Record<string, RouteRow> = {
  "GET /api/health": { kind: "public", why: "liveness" },
  "GET /api/auth/[...nextauth]": { kind: "public", why: "Auth.js" },
  "POST /api/auth/[...nextauth]": { kind: "public", why: "Auth.js (sign-in is exercised by this file's set-up)" },
  "GET /api/v1/openapi.json": { kind: "public", why: "the public API document" },
  "GET /api/share/[token]/events": { kind: "public", why: "the token is the permission (share-tokens.test.ts)" },

  "GET /api/v1/workflows": { kind: "api", permission: "read", req: () => ({ path: "/api/v1/workflows" }) },
  "POST /api/v1/workflows": { kind: "api", permission: "edit", req: ({ n }) => ({ path: "/api/v1/workflows", init: jsonInit("POST", { name: `made-${n}`, definition: def }) }) },
  "GET /api/v1/workflows/[workflow]": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/workflows/${t.flow.id}` }) },
  "GET /api/v1/workflows/[workflow]/versions": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/workflows/${t.flow.id}/versions` }) },
  "POST /api/v1/workflows/[workflow]/versions": { kind: "api", permission: "edit", req: ({ t }) => ({ path: `/api/v1/workflows/${t.common.id}/versions`, init: jsonInit("POST", { definition: def }) }) },
  "GET /api/v1/workflows/[workflow]/versions/[version]": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/workflows/${t.flow.id}/versions/1` }) },
  "GET /api/v1/workflows/[workflow]/labels": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/workflows/${t.flow.id}/labels` }) },
  "PUT /api/v1/workflows/[workflow]/labels/[label]": { kind: "api", permission: "edit", req: ({ t }) => ({ path: `/api/v1/workflows/${t.common.id}/labels/staging`, init: jsonInit("PUT", { version: 1 }) }) },
  "POST /api/v1/workflows/[workflow]/runs": { kind: "api", permission: "run", req: ({ t }) => ({ path: `/api/v1/workflows/${t.flow.id}/runs`, init: jsonInit("POST", {}) }) },
  "GET /api/v1/runs": { kind: "api", permission: "read", req: () => ({ path: "/api/v1/runs" }) },
  "GET /api/v1/runs/[run]": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/runs/${t.run.uuid}` }) },
  "GET /api/v1/runs/[run]/events": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/runs/${t.run.uuid}/events` }) },
  "POST /api/v1/runs/[run]/cancel": { kind: "api", permission: "run", req: ({ t }) => ({ path: `/api/v1/runs/${t.run.uuid}/cancel`, init: { method: "POST" } }) },
  "POST /api/v1/runs/[run]/rerun": { kind: "api", permission: "run", req: ({ t }) => ({ path: `/api/v1/runs/${t.run.uuid}/rerun`, init: jsonInit("POST", {}) }) },
  "POST /api/v1/files": { kind: "api", permission: "run", req: () => ({ path: "/api/v1/files", init: upload() }) },
  "GET /api/v1/files/[file]": { kind: "api", permission: "read", req: ({ t }) => ({ path: `/api/v1/files/${t.file.id}` }) },
  "GET /api/v1/api-keys": { kind: "api", permission: "manage", req: () => ({ path: "/api/v1/api-keys" }) },
  "POST /api/v1/api-keys": { kind: "api", permission: "manage", req: ({ n }) => ({ path: "/api/v1/api-keys", init: jsonInit("POST", { name: `k${n}` }) }) },
  "DELETE /api/v1/api-keys/[key]": {
    kind: "api", permission: "manage",
    req: async ({ t, n }) => ({ path: `/api/v1/api-keys/${(await createApiKey(t.owner, { name: `victim ${n}` })).id}`, init: { method: "DELETE" } }),
  },
  "GET /api/v1/workspace": { kind: "api", permission: "read", req: () => ({ path: "/api/v1/workspace" }) },
  "GET /api/v1/workspace/signing-secret": { kind: "api", permission: "manage", req: () => ({ path: "/api/v1/workspace/signing-secret" }) },

  "POST /api/v1/workflows/[workflow]/run": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: `/api/v1/workflows/${t.reader.uuid}/run`, init: { method: "POST", headers: { "unstructured-api-key": key } } }) },
  "GET /api/v1/jobs/[job_id]": { kind: "compat", permission: "read", req: ({ t }, key) => ({ path: `/api/v1/jobs/${t.run.uuid}`, init: { headers: { "unstructured-api-key": key } } }) },
  "POST /api/v1/jobs/[job_id]/cancel": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: `/api/v1/jobs/${t.run.uuid}/cancel`, init: { method: "POST", headers: { "unstructured-api-key": key } } }) },
  "GET /api/v1/workflows/executions/[execution_id]": { kind: "compat", permission: "read", req: ({ t }, key) => ({ path: `/api/v1/workflows/executions/${t.run.id}`, init: { headers: { "x-api-key": key } } }) },
  "POST /api/v1/workflows/workflows/[workflow_id]/execute": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: `/api/v1/workflows/workflows/${t.reader.id}/execute`, init: { ...jsonInit("POST", {}), headers: { "x-api-key": key } } }) },
  "POST /v1/execute-workflow": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: "/v1/execute-workflow", init: { ...jsonInit("POST", { inputs: [], workflow_deployment_name: t.flow.name }), headers: { "x-api-key": key } } }) },
  "POST /v1/execute-workflow-async": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: "/v1/execute-workflow-async", init: { ...jsonInit("POST", { inputs: [], workflow_deployment_name: t.flow.name }), headers: { "x-api-key": key } } }) },
  "POST /v1/execute-workflow-stream": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: "/v1/execute-workflow-stream", init: { ...jsonInit("POST", { inputs: [], workflow_deployment_name: t.flow.name }), headers: { "x-api-key": key } } }) },
  "GET /v1/workflows/executions/[id]/status": { kind: "compat", permission: "read", req: ({ t }, key) => ({ path: `/v1/workflows/executions/${t.run.uuid}/status`, init: { headers: { "x-api-key": key } } }) },
  "POST /v1/workflows/run": { kind: "compat", permission: "run", req: (_c, _key, bound) => ({ path: "/v1/workflows/run", init: { ...jsonInit("POST", { inputs: {}, user: "u" }), headers: { authorization: `Bearer ${bound}` } } }) },
  "GET /v1/workflows/run/[id]": { kind: "compat", permission: "read", req: ({ t }, _key, bound) => ({ path: `/v1/workflows/run/${t.readerRun.uuid}`, init: { headers: { authorization: `Bearer ${bound}` } } }) },
  "POST /v1/workflows/tasks/[task_id]/stop": { kind: "compat", permission: "run", req: ({ t }, _key, bound) => ({ path: `/v1/workflows/tasks/${t.readerRun.uuid}/stop`, init: { ...jsonInit("POST", { user: "u" }), headers: { authorization: `Bearer ${bound}` } } }) },
  "POST /v1/files/upload": { kind: "compat", permission: "run", req: (_c, key) => ({ path: "/v1/files/upload", init: { ...upload(), headers: { authorization: `Bearer ${key}` } } }) },
  "POST /workflows/[workflow_name]/run": { kind: "compat", permission: "run", req: ({ t }, key) => ({ path: `/workflows/${t.flow.name}/run`, init: { ...jsonInit("POST", {}), headers: { "x-api-key": key } } }) },
  "GET /workflow-version-execution-results": { kind: "compat", permission: "read", req: ({ t }, key) => ({ path: `/workflow-version-execution-results?workflow_version_execution_id=${t.run.id}`, init: { headers: { "x-api-key": key } } }) },
  "POST /ws-token-request-library": { kind: "compat", permission: "read", req: ({ t }, key) => ({ path: `/ws-token-request-library?capability=workflow_updates:${t.run.id}`, init: { method: "POST", headers: { "x-api-key": key } } }) },
};

// ─── Server actions ──────────────────────────────────────────────────────────────────────────

type ActionRow =
  | { permission: Permission | "owner-only"; input: (t: Tenant, n: number) => Promise<unknown> | unknown; reason?: (role: Role) => string }
  | { permission: "self" | "public"; why: string };

const text = JSON.stringify(def);
const ownerOnly = "Only an owner can make someone owner or change an owner's role";

const ACTIONS: Record<string, ActionRow> = {
  "auth.signInAction": { permission: "public", why: "signing in needs no role" },
  "auth.signOutAction": { permission: "public", why: "signing out needs no role" },
  "workspaces.createWorkspaceAction": { permission: "self", why: "any signed-in user may create a workspace (they own it)" },
  "members.acceptInvitationAction": { permission: "self", why: "any signed-in user holding the link (invitations carry their own role)" },
  "members.leaveWorkspaceAction": { permission: "self", why: "any member may leave (owners only if another owner remains)" },

  "share-links.listRunShareLinksAction": { permission: "read", input: (t) => ({ workspace: t.slug, runId: t.run.uuid }) },
  "workflows.checkDefinitionAction": { permission: "read", input: (t) => ({ workspace: t.slug, text }) },
  "workflows.readWorkflowFileAction": { permission: "read", input: (t) => ({ workspace: t.slug, text }) },

  "runs.startRunAction": { permission: "run", input: (t) => ({ workspace: t.slug, workflow: t.flow.name, inputs: {} }) },
  "rerun.rerunRunAction": { permission: "run", input: (t) => ({ workspace: t.slug, runId: t.run.uuid }) },
  "rerun.cancelRunAction": { permission: "run", input: (t) => ({ workspace: t.slug, runId: t.run.uuid }) },
  "runs.cancelRunsAction": {
    permission: "run", input: (t) => ({ workspace: t.slug, runIds: [t.run.uuid] }),
    reason: () => "Viewers cannot cancel runs; ask an admin for the member role",
  },
  "runs.rerunRunsAction": {
    permission: "run", input: (t) => ({ workspace: t.slug, runIds: [t.run.uuid] }),
    reason: () => "Viewers cannot re-run runs; ask an admin for the member role",
  },
  "share-links.createRunShareLinkAction": { permission: "run", input: (t) => ({ workspace: t.slug, runId: t.run.uuid }) },
  "share-links.revokeShareLinkAction": { permission: "run", input: async (t) => ({ workspace: t.slug, id: (await createShareLink(t.owner, t.run.uuid)).id }) },

  "workflows.createWorkflowAction": { permission: "edit", input: (t, n) => ({ workspace: t.slug, name: `action-made-${n}`, title: "", description: "", message: "", text }) },
  "workflows.publishVersionAction": { permission: "edit", input: (t) => ({ workspace: t.slug, workflow: t.common.name, message: "", text }) },
  "workflows.moveLabelAction": { permission: "edit", input: (t) => ({ workspace: t.slug, workflow: t.common.name, label: "staging", version: 1 }) },

  "api-keys.createApiKeyAction": { permission: "manage", input: (t) => ({ workspace: t.slug, name: "k", role: "member", workflow: "", label: "" }) },
  "api-keys.revokeApiKeyAction": { permission: "manage", input: async (t, n) => ({ workspace: t.slug, id: (await createApiKey(t.owner, { name: `r${n}` })).id }) },
  "secrets.saveLlmProviderAction": { permission: "manage", input: (t) => ({ workspace: t.slug, name: "llm", base_url: "https://llm.example.com/v1", api_key: "sk-x", model: "" }) },
  "secrets.saveSecretAction": { permission: "manage", input: (t, n) => ({ workspace: t.slug, name: `s${n}`, value: "v" }) },
  "secrets.deleteSecretAction": { permission: "manage", input: async (t, n) => ({ workspace: t.slug, name: (await setSecret(t.owner, `d${n}`, "v")).name }) },
  "members.changeMemberRoleAction": { permission: "manage", input: async (t, n) => ({ workspace: t.slug, userId: await newMember(t, n, "viewer"), role: "member" }) },
  "members.removeMemberAction": { permission: "manage", input: async (t, n) => ({ workspace: t.slug, userId: await newMember(t, n, "viewer") }) },
  "members.createInvitationAction": { permission: "manage", input: (t) => ({ workspace: t.slug, role: "viewer", email: "", expiresInDays: 7 }) },
  "members.revokeInvitationAction": { permission: "manage", input: async (t) => ({ workspace: t.slug, id: (await createInvitation(t.owner, { role: "viewer" })).id }) },
};

/** Rules on top of the table: only an owner touches the owner role (lib/services/members.ts, invitations.ts). */
const OWNER_RULES: { name: string; action: string; input: (t: Tenant, n: number) => Promise<unknown>; reason: string }[] = [
  { name: "make someone owner", action: "members.changeMemberRoleAction", input: async (t, n) => ({ workspace: t.slug, userId: await newMember(t, n, "member"), role: "owner" }), reason: ownerOnly },
  { name: "demote an owner", action: "members.changeMemberRoleAction", input: async (t, n) => ({ workspace: t.slug, userId: await newMember(t, n, "owner"), role: "admin" }), reason: ownerOnly },
  { name: "remove an owner", action: "members.removeMemberAction", input: async (t, n) => ({ workspace: t.slug, userId: await newMember(t, n, "owner") }), reason: "Only an owner can remove an owner" },
  { name: "invite an owner", action: "members.createInvitationAction", input: async (t) => ({ workspace: t.slug, role: "owner", email: "", expiresInDays: 7 }), reason: "Only an owner can invite owners" },
];

async function newMember(t: Tenant, n: number, role: Role): Promise<string> {
  const id = await createUser(`target-${n}-${Math.random().toString(36).slice(2, 8)}@security.test`, { canSignIn: false });
  await addMember(t.owner.workspaceId, id, role);
  return id;
}

// ─── Fixtures ────────────────────────────────────────────────────────────────────────────────

let server: TestServer;
let t: Tenant;
const userOf = new Map<Role, string>();
const cookieOf = new Map<Role, string>();
/** API keys by role (keys are member or admin), plain and bound to `reader` (for Dify). */
const keyOf = new Map<"member" | "admin", { key: string; bound: string }>();
let counter = 0;

beforeAll(async () => {
  if (skip) return;
  await applyMigrations();
  t = await createTenant("roles");
  userOf.set("owner", t.owner.userId!);
  userOf.set("member", t.memberId);
  for (const role of ["viewer", "admin"] as const) {
    const id = await createUser(`roles-${role}@security.test`);
    await addMember(t.owner.workspaceId, id, role);
    userOf.set(role, id);
  }
  for (const role of ["member", "admin"] as const) {
    const plain = await createApiKey(t.owner, { name: `${role} key`, role });
    const bound = await createApiKey(t.owner, { name: `${role} bound`, role, workflow: t.reader.name });
    keyOf.set(role, { key: plain.key, bound: bound.key });
  }
  server = await startSecurityServer();
  const emails: Record<Role, string> = {
    owner: t.ownerEmail, member: t.memberEmail, viewer: "roles-viewer@security.test", admin: "roles-admin@security.test",
  };
  await Promise.all(ROLES.map(async (role) => cookieOf.set(role, await signIn(server.url, emails[role], PASSWORD))));
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await shutdownSandboxPool();
});

/** An API request as `who` (a session role, or an API key's role). */
async function asCaller(who: { session: Role } | { key: "member" | "admin" }, req: Req): Promise<Answer & { what: string }> {
  const { path, init = {} } = await req({ t, n: ++counter });
  const headers = new Headers(init.headers);
  let url = `${server.url}${path}`;
  if ("session" in who) {
    headers.set("cookie", cookieOf.get(who.session)!);
    url += `${path.includes("?") ? "&" : "?"}workspace=${t.slug}`;
  } else {
    headers.set("authorization", `Bearer ${keyOf.get(who.key)!.key}`);
  }
  const answer = await call(url, { ...init, headers });
  return { ...answer, what: `${init.method ?? "GET"} ${path} as ${"session" in who ? who.session : `${who.key} key`}` };
}

describe.skipIf(skip)("role matrix", () => {
  it("the table is what lib/services/permissions.ts grants", () => {
    for (const permission of Object.keys(TABLE) as Permission[]) {
      for (const role of ROLES) expect(can(role, permission), `${role} ${permission}`).toBe(TABLE[permission][role]);
    }
  });

  it("classifies every route file and method, and every server action", async () => {
    expect(Object.keys(ROUTES).sort()).toEqual(routeKeys().sort());
    const modules = await serverActionModules();
    expect(Object.keys(ACTIONS).sort()).toEqual(modules.flatMap((m) => Object.keys(m.actions).map((a) => `${m.module}.${a}`)).sort());
  });

  it("sessions refused by the table get 403 with the reason on every API route, and nothing changes", async () => {
    const before = await snapshotWorkspace(t.owner.workspaceId);
    let refused = 0;
    for (const [route, row] of Object.entries(ROUTES)) {
      if (row.kind !== "api") continue;
      for (const role of ROLES) {
        if (TABLE[row.permission][role]) continue;
        const res = await asCaller({ session: role }, row.req);
        expect([res.status, res.json?.code, res.json?.message], `${route}: ${res.what}`).toEqual([403, "forbidden", reason(role, row.permission)]);
        refused++;
      }
      if (row.permission === "manage") {
        const res = await asCaller({ key: "member" }, row.req);
        expect([res.status, res.json?.message], `${route}: ${res.what}`).toEqual([403, reason("member", "manage")]);
        refused++;
      }
    }
    // Keys created as DELETE targets are the only new rows; everything else is as it was.
    const after = await snapshotWorkspace(t.owner.workspaceId);
    expect({ ...after, keys: after.keys.filter((k) => before.keys.some((b) => b.id === k.id)) }).toEqual(before);
    expect(after.keys.every((k) => k.revokedAt === null)).toBe(true);
    console.log(`[roles] ${refused} refused API calls`);
  }, 30_000);

  it("sessions and keys the table allows succeed on every API route; both key roles on every compatibility route", async () => {
    let allowed = 0;
    for (const [route, row] of Object.entries(ROUTES)) {
      if (row.kind === "api") {
        const callers = [...ROLES.filter((r) => TABLE[row.permission][r]).map((r) => ({ session: r })),
          ...(row.permission === "manage" ? [] : [{ key: "member" as const }]), { key: "admin" as const }];
        // The callers of one route at once (each request names its own objects).
        for (const res of await Promise.all(callers.map((who) => asCaller(who, row.req)))) {
          expect(res.status, `${route}: ${res.what}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
          expect(res.status, `${route}: ${res.what}: ${res.text.slice(0, 300)}`).toBeLessThan(300);
          allowed++;
        }
      } else if (row.kind === "compat") {
        await Promise.all((["member", "admin"] as const).map(async (role) => {
          const { path, init } = row.req({ t, n: ++counter }, keyOf.get(role)!.key, keyOf.get(role)!.bound);
          const res = await call(`${server.url}${path}`, init);
          expect(res.status, `${route} as ${role} key: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
          expect(res.status, `${route} as ${role} key: ${res.text.slice(0, 300)}`).toBeLessThan(300);
          allowed++;
        }));
      }
    }
    console.log(`[roles] ${allowed} allowed API calls`);
  }, 45_000);

  it("a wrong password gets no session; the session cookie is HttpOnly and SameSite=Lax", async () => {
    await expect(signIn(server.url, t.ownerEmail, "not the password")).rejects.toThrow(/sign-in of .* failed/);
    // Sign in again, looking at the cookie itself: scripts cannot read it, other sites cannot send it with a POST.
    const csrf = await fetch(`${server.url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const res = await fetch(`${server.url}/api/auth/callback/credentials`, {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") },
      body: new URLSearchParams({ csrfToken, email: t.ownerEmail, password: PASSWORD }),
    });
    const session = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(session).toMatch(/;\s*Path=\//i);
  });

  it("a member who is removed loses access at once, though their session cookie is still valid", async () => {
    const id = await createUser("roles-leaver@security.test");
    await addMember(t.owner.workspaceId, id, "admin");
    const cookie = await signIn(server.url, "roles-leaver@security.test", PASSWORD);
    const before = await call(`${server.url}/api/v1/api-keys?workspace=${t.slug}`, { headers: { cookie } });
    expect(before.status).toBe(200);
    await db.membership.deleteMany({ where: { workspaceId: t.owner.workspaceId, userId: id } });
    for (const path of ["/api/v1/api-keys", "/api/v1/runs", `/api/v1/runs/${t.run.uuid}`]) {
      const after = await call(`${server.url}${path}?workspace=${t.slug}`, { headers: { cookie } });
      expect([after.status, after.json?.message], path).toEqual([404, "Workspace not found"]);
    }
  });

  describe("server actions", () => {
    let modules: Awaited<ReturnType<typeof serverActionModules>>;
    const run = async (role: Role, key: string, input: unknown) => {
      const [mod, name] = key.split(".");
      const fn = modules.find((m) => m.module === mod)!.actions[name] as ServerAction & ((i: unknown) => Promise<any>);
      return (await asSignedIn(userOf.get(role)!, () => fn(input))).value;
    };

    beforeAll(async () => {
      modules = await serverActionModules();
    });

    it("each role is refused exactly what the table refuses, with the reason, storing nothing", async () => {
      let refused = 0;
      for (const [key, row] of Object.entries(ACTIONS)) {
        if (!("input" in row)) continue;
        for (const role of ROLES) {
          if (TABLE[row.permission as Permission][role]) continue;
          const input = await row.input(t, ++counter);
          const before = await snapshotWorkspace(t.owner.workspaceId);
          const result = await run(role, key, input);
          expect(result, `${key} as ${role}`).toEqual({ ok: false, message: row.reason?.(role) ?? reason(role, row.permission as Permission) });
          expect(await snapshotWorkspace(t.owner.workspaceId), `${key} as ${role} stored something`).toEqual(before);
          refused++;
        }
      }
      console.log(`[roles] ${refused} refused action calls`);
    }, 30_000);

    it("each role may do what the table allows", async () => {
      let allowed = 0;
      for (const [key, row] of Object.entries(ACTIONS)) {
        if (!("input" in row)) continue;
        for (const role of ROLES) {
          if (!TABLE[row.permission as Permission][role]) continue;
          const result = await run(role, key, await row.input(t, ++counter));
          expect(result.ok, `${key} as ${role}: ${JSON.stringify(result)}`).toBe(true);
          allowed++;
        }
      }
      console.log(`[roles] ${allowed} allowed action calls`);
    }, 30_000);

    it("only an owner touches the owner role", async () => {
      for (const rule of OWNER_RULES) {
        for (const role of ["admin", "owner"] as const) {
          const result = await run(role, rule.action, await rule.input(t, ++counter));
          if (role === "owner") expect(result.ok, `${rule.name} as owner: ${JSON.stringify(result)}`).toBe(true);
          else expect(result, `${rule.name} as admin`).toEqual({ ok: false, message: rule.reason });
        }
      }
    });
  });
});
