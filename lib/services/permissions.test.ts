/**
 * The role matrix, end to end through the services every server action and API route calls:
 * a viewer can neither run nor edit, a member cannot manage keys, secrets or people, and a
 * refused call stores nothing. (The rules themselves live in permissions.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { stopExecutor } from "../executor";
import { demoWorkflows } from "../demo/workflows";
import type { Actor, Role } from "../schemas/workspace";
import { createApiKey, listApiKeys, listApiKeysReadOnly, revokeApiKey } from "./api-keys";
import { getSigningSecret } from "./callbacks";
import { ForbiddenError } from "./errors";
import { saveUploadedFile } from "./files";
import { createInvitation, listInvitations, revokeInvitation } from "./invitations";
import { changeMemberRole, listMembers, removeMember } from "./members";
import { can, type Permission } from "./permissions";
import { cancelRun, getRunDetail, listRuns, rerunRun, startRun } from "./runs";
import { deleteSecret, listSecrets, setSecret } from "./secrets";
import { createShareLink } from "./share-links";
import { createWorkflow, listWorkflows, publishVersion, setLabel } from "./workflows";
import { createWorkspace } from "./workspaces";

const greet = demoWorkflows.find((w) => w.name === "greet")!;
let owner: Actor;
const as = (role: Role): Actor => ({ ...owner, role });
let runUuid: string;
let keyId: number;
let invitationId: number;
let someoneId: string;

beforeAll(async () => {
  await applyMigrations();
  const u = await db.user.create({ data: { email: "matrix-owner@example.test" } });
  owner = await createWorkspace(u.id, { slug: "matrix", name: "Matrix" });
  const someone = await db.user.create({ data: { email: "matrix-member@example.test" } });
  await db.membership.create({ data: { workspaceId: owner.workspaceId, userId: someone.id, role: "member" } });
  someoneId = someone.id;
  await createWorkflow(owner, { name: "greet", definition: greet.versions[0], labels: ["production"] });
  runUuid = (await startRun(owner, { workflow: "greet", inputs: { name: "Ada" }, origin: "ui" })).uuid;
  keyId = (await createApiKey(owner, { name: "k" })).id;
  invitationId = (await createInvitation(owner, { role: "viewer" })).id;
  await setSecret(owner, "llm", "{}");
});

afterAll(async () => {
  // Runs the tests started may still be executing: let the executor stop them before the
  // database closes (otherwise their last writes fail and are logged).
  await stopExecutor(0);
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("can()", () => {
  it("grants each role exactly its permissions", () => {
    const table: Record<Role, Permission[]> = {
      viewer: ["read"],
      member: ["read", "run", "edit"],
      admin: ["read", "run", "edit", "manage"],
      owner: ["read", "run", "edit", "manage"],
    };
    for (const [role, allowed] of Object.entries(table) as [Role, Permission[]][]) {
      for (const p of ["read", "run", "edit", "manage"] as Permission[]) expect(can(role, p), `${role} ${p}`).toBe(allowed.includes(p));
    }
  });
});

/** Actions by the permission they need; each is called as a role that lacks it and must be refused. */
const actions: Record<Exclude<Permission, "read">, Record<string, (a: Actor) => Promise<unknown>>> = {
  run: {
    startRun: (a) => startRun(a, { workflow: "greet", inputs: { name: "x" }, origin: "ui" }),
    rerunRun: (a) => rerunRun(a, runUuid, {}),
    cancelRun: (a) => cancelRun(a, runUuid),
    createShareLink: (a) => createShareLink(a, runUuid),
    saveUploadedFile: (a) => saveUploadedFile(a, { name: "a.txt", type: "text/plain", bytes: new TextEncoder().encode("hi") }),
  },
  edit: {
    createWorkflow: (a) => createWorkflow(a, { name: "another", definition: greet.versions[0] }),
    publishVersion: (a) => publishVersion(a, "greet", greet.versions[0]),
    setLabel: (a) => setLabel(a, "greet", "staging", 1),
  },
  manage: {
    createApiKey: (a) => createApiKey(a, { name: "sneaky" }),
    listApiKeys: (a) => listApiKeys(a),
    revokeApiKey: (a) => revokeApiKey(a, keyId),
    setSecret: (a) => setSecret(a, "llm", "stolen"),
    deleteSecret: (a) => deleteSecret(a, "llm"),
    getSigningSecret: (a) => getSigningSecret(a),
    createInvitation: (a) => createInvitation(a, { role: "viewer" }),
    listInvitations: (a) => listInvitations(a),
    revokeInvitation: (a) => revokeInvitation(a, invitationId),
    changeMemberRole: (a) => changeMemberRole(a, someoneId, "viewer"),
    removeMember: (a) => removeMember(a, someoneId),
  },
};

async function snapshot() {
  const w = owner.workspaceId;
  return {
    runs: await db.run.count({ where: { workspaceId: w } }),
    shares: await db.shareLink.count({ where: { workspaceId: w } }),
    files: await db.file.count({ where: { workspaceId: w } }),
    workflows: await db.workflow.count({ where: { workspaceId: w } }),
    versions: await db.workflowVersion.count({ where: { workspaceId: w } }),
    labels: await db.label.count({ where: { workspaceId: w } }),
    keys: await db.apiKey.count({ where: { workspaceId: w, revokedAt: null } }),
    secrets: (await db.secret.findMany({ where: { workspaceId: w }, select: { ciphertext: true } })).map((s) => s.ciphertext),
    invitations: await db.invitation.count({ where: { workspaceId: w, revokedAt: null } }),
    members: (await db.membership.findMany({ where: { workspaceId: w }, select: { userId: true, role: true }, orderBy: { userId: "asc" } })),
    cancelRequested: (await db.run.count({ where: { workspaceId: w, cancelRequestedAt: { not: null } } })),
  };
}

describe("role matrix through the services", () => {
  for (const role of ["viewer", "member", "admin", "owner"] as const) {
    for (const [permission, calls] of Object.entries(actions) as [Permission, Record<string, (a: Actor) => Promise<unknown>>][]) {
      if (can(role, permission)) continue;
      it(`refuses a ${role} every "${permission}" action, storing nothing`, async () => {
        const before = await snapshot();
        for (const [name, call] of Object.entries(calls)) {
          const result = call(as(role));
          await expect(result, name).rejects.toBeInstanceOf(ForbiddenError);
        }
        expect(await snapshot()).toEqual(before);
      });
    }
  }

  it("says in words why a viewer cannot run", async () => {
    await expect(actions.run.startRun(as("viewer"))).rejects.toThrow("Viewers cannot start runs; ask an admin for the member role");
    await expect(actions.manage.createApiKey(as("member"))).rejects.toThrow("Your role (member) cannot do this");
  });

  it("lets every role read", async () => {
    for (const role of ["viewer", "member", "admin", "owner"] as const) {
      const a = as(role);
      expect((await listWorkflows(a)).map((w) => w.name)).toContain("greet");
      expect((await listRuns(a)).runs.length).toBeGreaterThan(0);
      expect((await getRunDetail(a, runUuid)).uuid).toBe(runUuid);
      expect((await listApiKeysReadOnly(a)).map((k) => k.id)).toContain(keyId);
      expect((await listSecrets(a)).map((s) => s.name)).toContain("llm");
      expect((await listMembers(a)).length).toBe(2);
    }
  });

  it("lets a member run and edit", async () => {
    const member = as("member");
    expect((await startRun(member, { workflow: "greet", inputs: { name: "m" }, origin: "ui" })).uuid).toBeTruthy();
    expect((await setLabel(member, "greet", "staging", 1)).label).toBe("staging");
  });
});
