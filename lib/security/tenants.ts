/**
 * For the security tests: a workspace with one of everything a caller can name by id —
 * workflows (id, UUID, name), versions, labels, finished runs (UUID and integer id), an
 * uploaded file, API keys (admin, and one bound to a workflow), a share link, secrets, an
 * invitation and a second member — created in this process through the services, before any
 * server starts. Plus a snapshot of everything such a workspace owns, to prove that nothing
 * changed, and a scan of every table for plaintext that must never be stored.
 */
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import type { Actor, Role } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { saveUploadedFile } from "../services/files";
import { createInvitation } from "../services/invitations";
import { getRunDetail, startRun } from "../services/runs";
import { setSecret } from "../services/secrets";
import { createShareLink } from "../services/share-links";
import { createWorkflow, publishVersion, setLabel } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { hashPassword } from "./passwords";

export const PASSWORD = "correct horse battery staple";

/** A template workflow: fast, no outside service. */
export const flowDefinition = (word: string) => ({
  inputs: [{ name: "name", type: "text", default: "x" }],
  steps: [{ id: "say", kind: "template", config: { template: `${word} {{ inputs.name }}` } }],
  outputs: { said: "{{ steps.say.output }}" },
});

/** A workflow with a file input (what the Datalab, Unstructured and Dify file routes run). */
export const readerDefinition = {
  inputs: [{ name: "document", type: "file", required: false }],
  steps: [{ id: "read", kind: "template", config: { template: "read done" } }],
  outputs: { text: "{{ steps.read.output }}" },
};

/** Runs for minutes: something that can still be cancelled while the tests run (they cancel it at the end). */
export const slowDefinition = {
  inputs: [],
  steps: [{ id: "wait", kind: "delay", timeout_ms: 900_000, config: { ms: 600_000 } }],
  outputs: { waited: "{{ steps.wait.output.waited_ms }}" },
};

export interface TenantRef {
  id: number;
  uuid: string;
  name: string;
}

export interface Tenant {
  slug: string;
  owner: Actor;
  ownerEmail: string;
  /** A second member of the workspace (role "member"). */
  memberId: string;
  memberEmail: string;
  /** `flow`: template workflow with versions 1 and 2, label production → 2. */
  flow: TenantRef;
  reader: TenantRef;
  slow: TenantRef;
  /** A workflow whose name both tenants use. */
  common: TenantRef;
  run: { id: number; uuid: string };
  /** A finished run of `reader` (the workflow the bound key may see). */
  readerRun: { id: number; uuid: string };
  file: { id: string };
  adminKey: string;
  adminKeyId: number;
  /** Bound to `reader` (Dify's routes need a bound key). */
  boundKey: string;
  boundKeyId: number;
  /** A key nobody uses (safe to revoke in a test). */
  spareKeyId: number;
  share: { id: number; token: string };
  secretName: string;
  secretValue: string;
  invitation: { id: number; token: string };
}

async function ref(actor: Actor, name: string, definition: unknown, labels: string[] = []): Promise<TenantRef> {
  const w = await createWorkflow(actor, { name, definition, labels });
  const row = await db.workflow.findUniqueOrThrow({ where: { id: w.id }, select: { id: true, uuid: true, name: true } });
  return row;
}

/** A user who can sign in with PASSWORD (or, with `canSignIn: false`, one who never signs in: no costly hash). */
export async function createUser(email: string, opts: { canSignIn?: boolean } = {}): Promise<string> {
  const passwordHash = opts.canSignIn === false ? null : await hashPassword(PASSWORD);
  const user = await db.user.create({ data: { email, name: email.split("@")[0], passwordHash } });
  return user.id;
}

/** Adds a user to the tenant's workspace with `role`. */
export async function addMember(workspaceId: number, userId: string, role: Role): Promise<void> {
  await db.membership.create({ data: { workspaceId, userId, role } });
}

export async function waitForRunEnd(actor: Actor, uuid: string, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${uuid} did not end (status ${run.status})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates a workspace `slug` with one of everything (see Tenant). */
export async function createTenant(slug: string): Promise<Tenant> {
  const ownerEmail = `${slug}-owner@security.test`;
  const memberEmail = `${slug}-member@security.test`;
  const ownerId = await createUser(ownerEmail);
  const owner = await createWorkspace(ownerId, { slug, name: `Workspace ${slug}` });
  const memberId = await createUser(memberEmail);
  await addMember(owner.workspaceId, memberId, "member");

  const flow = await ref(owner, `${slug}-flow`, flowDefinition(`hello from ${slug}`), ["production"]);
  await publishVersion(owner, flow.id, flowDefinition(`v2 of ${slug}`));
  await setLabel(owner, flow.id, "production", 2);
  const reader = await ref(owner, `${slug}-reader`, readerDefinition);
  const slow = await ref(owner, `${slug}-slow`, slowDefinition);
  const common = await ref(owner, "common", flowDefinition(`common of ${slug}`));

  const started = await startRun(owner, { workflow: flow.id, inputs: { name: slug }, origin: "ui" });
  await waitForRunEnd(owner, started.uuid);
  const readerRun = await startRun(owner, { workflow: reader.id, inputs: {}, origin: "ui" });
  await waitForRunEnd(owner, readerRun.uuid);
  const file = await saveUploadedFile(owner, { name: `${slug}.txt`, type: "text/plain", bytes: new TextEncoder().encode(`file of ${slug}`) });
  const admin = await createApiKey(owner, { name: "admin", role: "admin" });
  const bound = await createApiKey(owner, { name: "bound", role: "member", workflow: reader.name });
  const spare = await createApiKey(owner, { name: "spare", role: "member" });
  const share = await createShareLink(owner, started.uuid);
  const secretName = `${slug.replace(/-/g, "_")}_secret`;
  const secretValue = `secret-value-of-${slug}-${Math.random().toString(36).slice(2)}`;
  await setSecret(owner, secretName, secretValue);
  const invitation = await createInvitation(owner, { role: "viewer" });

  return {
    slug, owner, ownerEmail, memberId, memberEmail, flow, reader, slow, common,
    run: { id: started.id, uuid: started.uuid }, readerRun: { id: readerRun.id, uuid: readerRun.uuid }, file: { id: file.id },
    adminKey: admin.key, adminKeyId: admin.id, boundKey: bound.key, boundKeyId: bound.id, spareKeyId: spare.id,
    share: { id: share.id, token: share.token }, secretName, secretValue,
    invitation: { id: invitation.id, token: invitation.token },
  };
}

/** Everything a workspace owns, in a form that compares with toEqual (what "nothing changed" means). */
export async function snapshotWorkspace(workspaceId: number) {
  const where = { workspaceId };
  const [workflows, versions, labels, labelMoves, runs, steps, events, files, keys, shares, secrets, invitations, members, payloads, callbacks] =
    await Promise.all([
      db.workflow.findMany({ where, orderBy: { id: "asc" }, select: { id: true, name: true, title: true, archivedAt: true } }),
      db.workflowVersion.findMany({ where, orderBy: { id: "asc" }, select: { id: true, number: true, workflowId: true } }),
      db.label.findMany({ where, orderBy: { id: "asc" }, select: { name: true, workflowId: true, versionId: true } }),
      db.labelMove.count({ where }),
      db.run.findMany({ where, orderBy: { id: "asc" }, select: { id: true, status: true, cancelRequestedAt: true, parentRunId: true } }),
      db.stepRun.count({ where }),
      db.runEvent.count({ where }),
      db.file.findMany({ where, orderBy: { id: "asc" }, select: { id: true, name: true, size: true } }),
      db.apiKey.findMany({ where, orderBy: { id: "asc" }, select: { id: true, revokedAt: true, role: true, workflowId: true } }),
      db.shareLink.findMany({ where, orderBy: { id: "asc" }, select: { id: true, revokedAt: true, expiresAt: true } }),
      db.secret.findMany({ where, orderBy: { name: "asc" }, select: { name: true, ciphertext: true } }),
      db.invitation.findMany({ where, orderBy: { id: "asc" }, select: { id: true, revokedAt: true, usedAt: true } }),
      db.membership.findMany({ where, orderBy: { userId: "asc" }, select: { userId: true, role: true } }),
      db.runPayload.count({ where }),
      db.callbackDelivery.count({ where }),
    ]);
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { slug: true, name: true, signingSecret: true } });
  return { workspace, workflows, versions, labels, labelMoves, runs, steps, events, files, keys, shares, secrets, invitations, members, payloads, callbacks };
}

/** Every table of the database (both providers), including the job queue's on PostgreSQL. */
async function listTables(): Promise<string[]> {
  if (databaseProvider() === "sqlite") {
    const rows = await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM sqlite_master WHERE type = 'table'`);
    return rows.map((r) => `"${r.name}"`);
  }
  const rows = await db.$queryRawUnsafe<{ s: string; t: string }[]>(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  return rows.map((r) => `"${r.s}"."${r.t}"`);
}

/**
 * Which tables hold any of `needles` anywhere in a row (as stored text). An empty answer means
 * none of them is stored in plaintext. Also says how many tables and rows were read.
 */
export async function findInDatabase(needles: string[]): Promise<{ hits: { table: string; needle: string }[]; tables: number; rows: number }> {
  const hits: { table: string; needle: string }[] = [];
  let rows = 0;
  const tables = await listTables();
  for (const table of tables) {
    // Every value as text (blobs included, as their bytes), whatever the column types are.
    let sql = `SELECT x::text AS "row" FROM ${table} x`;
    if (databaseProvider() === "sqlite") {
      const columns = await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('${table.slice(1, -1)}')`);
      if (columns.length === 0) continue;
      sql = `SELECT ${columns.map((c) => `CAST("${c.name}" AS TEXT) AS "${c.name}"`).join(", ")} FROM ${table}`;
    }
    const all = await db.$queryRawUnsafe<Record<string, unknown>[]>(sql);
    rows += all.length;
    const text = JSON.stringify(all);
    for (const needle of needles) if (text.includes(needle)) hits.push({ table, needle: `${needle.slice(0, 6)}…` });
  }
  return { hits, tables: tables.length, rows };
}
