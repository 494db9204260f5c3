/**
 * Tenancy matrix of the server actions (lib/actions/*), in this process, each call made as
 * the signed-in owner of workspace A with a real Auth.js session cookie (./action-session.ts):
 * every action that names something (a run, workflow, key, link, member, secret, invitation)
 * gets workspace B's ids and must answer "not found" — the same message as for an id that
 * never existed — and every action that takes a workspace gets B's slug and must answer
 * "Workspace not found". The same call with A's own ids must succeed (so a refusal is a
 * refusal, not a malformed call), and B's rows must be exactly as before.
 *
 * The rows are keyed "module.export" and must equal the exports of every "use server" file:
 * a new action without a row fails here. Also: no action runs for a caller without a valid
 * session (no cookie, or one signed with another secret).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { inActionRequest, isRedirect, asSignedIn, mintSessionToken, serverActionModules, SESSION_COOKIE, type ServerAction } from "./action-session";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { createInvitation } from "../services/invitations";
import { createShareLink } from "../services/share-links";
import { cancelRun, startRun } from "../services/runs";
import { addMember, createTenant, createUser, snapshotWorkspace, waitForRunEnd, type Tenant } from "./tenants";

type Result = { ok: true; data: any } | { ok: false; message: string; errors?: unknown[] };

/** What a foreign call must answer (default: not found). */
type Check = (r: Result) => void;

interface Call {
  label: string;
  input: unknown;
  expect?: Check;
}

interface Ids {
  slug: string;
  flowId: number; flowUuid: string; flowName: string;
  runUuid: string; liveUuid: string;
  /** A workflow name only the victim uses (one no other row names). */
  otherName: string;
  keyId: number; shareId: number; memberId: string; secretName: string; invitationId: number; invitationHash: string;
}

type Row =
  | {
    kind: "foreign";
    /** A call that must succeed for the caller's own workspace (its `workspace` swapped for B's must not). */
    control: (me: Tenant, n: number) => unknown;
    /** Calls with the victim's ids (null for actions that take only a workspace). */
    foreign: ((v: Ids, me: Tenant) => Call[]) | null;
    /** The control changes something that cannot be done twice (run it once, not per probe). */
  }
  | { kind: "exempt"; why: string };

const definitionText = JSON.stringify({ steps: [{ id: "s", kind: "template", config: { template: "from an action" } }] });

const notFound: Check = (r) => {
  expect(r.ok, JSON.stringify(r)).toBe(false);
  expect((r as { message: string }).message).toMatch(/not found/i);
};

const ROWS: Record<string, Row> = {
  "api-keys.createApiKeyAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, name: "k", role: "member", workflow: me.flow.name, label: "" }),
    foreign: (v, me) => flowRefs(v).map((w) => ({ label: `bound to ${w}`, input: { workspace: me.slug, name: "k", role: "member", workflow: w, label: "" } })),
  },
  "api-keys.revokeApiKeyAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, id: me.spareKeyId }),
    foreign: (v, me) => [{ label: `key ${v.keyId}`, input: { workspace: me.slug, id: v.keyId } }],
  },
  "auth.signInAction": { kind: "exempt", why: "takes an email and password (Auth.js); names no workspace object" },
  "auth.signOutAction": { kind: "exempt", why: "ends the caller's own session; takes nothing" },
  "members.changeMemberRoleAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, userId: me.memberId, role: "member" }),
    foreign: (v, me) => [{ label: "their member", input: { workspace: me.slug, userId: v.memberId, role: "viewer" } }],
  },
  "members.removeMemberAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, userId: spare.get(me.slug)!.shift()! }),
    foreign: (v, me) => [{ label: "their member", input: { workspace: me.slug, userId: v.memberId } }],
  },
  "members.leaveWorkspaceAction": {
    kind: "foreign",
    // The owner may not leave as the last owner; a sole owner's refusal still proves the slug resolves.
    control: (me) => ({ workspace: me.slug }),
    foreign: null,
  },
  "members.createInvitationAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, role: "viewer", email: "", expiresInDays: 7 }),
    foreign: null,
  },
  "members.revokeInvitationAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, id: me.invitation.id }),
    foreign: (v, me) => [{ label: `invitation ${v.invitationId}`, input: { workspace: me.slug, id: v.invitationId } }],
  },
  "members.acceptInvitationAction": {
    kind: "foreign",
    control: () => ({ token: ownInvitation }),
    // The token is the permission (a real one works for anyone it was given to); ids and hashes are not tokens.
    foreign: (v) => [
      { label: "invitation id", input: { token: `${v.invitationId}`.padStart(20, "0") } },
      { label: "token hash", input: { token: v.invitationHash } },
    ],
  },
  "rerun.rerunRunAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, runId: me.run.uuid }),
    foreign: (v, me) => [{ label: "their run", input: { workspace: me.slug, runId: v.runUuid } }],
  },
  "rerun.cancelRunAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, runId: me.readerRun.uuid }),
    foreign: (v, me) => [{ label: "their running run", input: { workspace: me.slug, runId: v.liveUuid } }],
  },
  "runs.startRunAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, workflow: me.flow.name, inputs: {} }),
    foreign: (v, me) => [
      ...flowRefs(v).map((w) => ({ label: w, input: { workspace: me.slug, workflow: w, inputs: {} } })),
      {
        label: "own reader + their file", input: { workspace: me.slug, workflow: me.reader.name, inputs: { document: fileOf.get(v.slug) } },
        expect: (r: Result) => expect([r.ok, (r as { message: string }).message]).toEqual([false, "Unknown file: upload it first and pass its id"]),
      },
    ],
  },
  "runs.cancelRunsAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, runIds: [me.readerRun.uuid] }),
    foreign: (v, me) => [{
      label: "their runs", input: { workspace: me.slug, runIds: [v.liveUuid, v.runUuid] },
      expect: (r) => expect(r.ok && { cancelled: r.data.cancelled, finished: r.data.finished, notFound: r.data.notFound })
        .toEqual({ cancelled: [], finished: [], notFound: [v.liveUuid, v.runUuid] }),
    }],
  },
  "runs.rerunRunsAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, runIds: [me.run.uuid] }),
    foreign: (v, me) => [{
      label: "their run", input: { workspace: me.slug, runIds: [v.runUuid] },
      expect: (r) => expect(r.ok && { started: r.data.started, notFound: r.data.notFound }).toEqual({ started: [], notFound: [v.runUuid] }),
    }],
  },
  "secrets.saveLlmProviderAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, name: "llm", base_url: "https://llm.example.com/v1", api_key: "sk-own", model: "" }),
    foreign: null,
  },
  "secrets.saveSecretAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, name: "own_extra", value: "own value" }),
    foreign: null,
  },
  "secrets.deleteSecretAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, name: me.secretName }),
    foreign: (v, me) => [{ label: "their secret's name", input: { workspace: me.slug, name: v.secretName } }],
  },
  "share-links.listRunShareLinksAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, runId: me.run.uuid }),
    foreign: (v, me) => [{ label: "their run", input: { workspace: me.slug, runId: v.runUuid } }],
  },
  "share-links.createRunShareLinkAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, runId: me.run.uuid }),
    foreign: (v, me) => [{ label: "their run", input: { workspace: me.slug, runId: v.runUuid } }],
  },
  "share-links.revokeShareLinkAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, id: me.share.id }),
    foreign: (v, me) => [{ label: `link ${v.shareId}`, input: { workspace: me.slug, id: v.shareId } }],
  },
  "workflows.checkDefinitionAction": {
    kind: "foreign", control: (me) => ({ workspace: me.slug, text: definitionText }), foreign: null,
  },
  "workflows.readWorkflowFileAction": {
    kind: "foreign", control: (me) => ({ workspace: me.slug, text: definitionText }), foreign: null,
  },
  "workflows.createWorkflowAction": {
    kind: "foreign",
    control: (me, n) => ({ workspace: me.slug, name: `made-by-action-${n}`, title: "", description: "", message: "", text: definitionText }),
    // A name only the other workspace uses is free here: no "taken" answer that would reveal it.
    foreign: (v, me) => [{
      label: "their workflow's name", input: { workspace: me.slug, name: v.otherName, title: "", description: "", message: "", text: definitionText },
      expect: (r) => expect(r).toEqual({ ok: true, data: { name: v.otherName } }),
    }],
  },
  "workflows.publishVersionAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, workflow: me.flow.name, message: "", text: definitionText }),
    foreign: (v, me) => flowRefs(v).map((w) => ({ label: w, input: { workspace: me.slug, workflow: w, message: "", text: definitionText } })),
  },
  "workflows.moveLabelAction": {
    kind: "foreign",
    control: (me) => ({ workspace: me.slug, workflow: me.flow.name, label: "production", version: 1 }),
    foreign: (v, me) => flowRefs(v).map((w) => ({ label: w, input: { workspace: me.slug, workflow: w, label: "production", version: 1 } })),
  },
  "workspaces.createWorkspaceAction": {
    kind: "foreign",
    control: (_me, n) => ({ name: "Made by action", slug: `made-by-action-${n}` }),
    // Workspace addresses are one namespace: a taken one is refused, and its workspace is untouched.
    foreign: (v) => [{
      label: "their slug", input: { name: "Takeover", slug: v.slug },
      expect: (r) => expect(r).toEqual({ ok: false, message: `The workspace address '${v.slug}' is taken` }),
    }],
  },
};

function flowRefs(v: Ids): string[] {
  return [String(v.flowId), v.flowUuid, v.flowName];
}

let a: Tenant;
let b: Tenant;
const live = new Map<string, string>();
const fileOf = new Map<string, string>();
/** Members of A that a removeMember control may remove. */
const spare = new Map<string, string[]>();
let ownInvitation: string;

async function idsOf(t: Tenant, ghost = false): Promise<Ids> {
  if (ghost) {
    return {
      slug: t.slug, flowId: 987_001, flowUuid: randomUUID(), flowName: "ghost-flow", runUuid: randomUUID(), liveUuid: randomUUID(), otherName: "ghost-other",
      keyId: 987_002, shareId: 987_003, memberId: randomUUID(), secretName: "ghost_secret", invitationId: 987_004, invitationHash: "f".repeat(64),
    };
  }
  const invitation = await db.invitation.findUniqueOrThrow({ where: { id: t.invitation.id } });
  return {
    slug: t.slug, flowId: t.flow.id, flowUuid: t.flow.uuid, flowName: t.flow.name, runUuid: t.run.uuid, liveUuid: live.get(t.slug)!, otherName: t.slow.name,
    keyId: t.adminKeyId, shareId: t.share.id, memberId: t.memberId, secretName: t.secretName, invitationId: t.invitation.id,
    invitationHash: invitation.tokenHash,
  };
}

function mask(message: string, ids: Ids): string {
  let out = message;
  for (const value of Object.values(ids).map(String).sort((x, y) => y.length - x.length)) out = out.split(value).join("<id>");
  return out;
}

beforeAll(async () => {
  await applyMigrations();
  [a, b] = [await createTenant("act-a"), await createTenant("act-b")];
  for (const t of [a, b]) {
    // A run that is still running (queued if the executor is busy): something a cancel would change.
    const slow = await startRun(t.owner, { workflow: t.slow.id, inputs: {}, origin: "ui" });
    live.set(t.slug, slow.uuid);
    fileOf.set(t.slug, t.file.id);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await createUser(`${t.slug}-spare-${i}@security.test`, { canSignIn: false });
      await addMember(t.owner.workspaceId, id, "viewer");
      ids.push(id);
    }
    spare.set(t.slug, ids);
  }
  ownInvitation = (await createInvitation(a.owner, { role: "viewer" })).token;
  // Own share links for the revoke control (the fixture's one stays live for the other tests).
  await createShareLink(a.owner, a.run.uuid);
}, 60_000);

afterAll(async () => {
  // The live runs execute in this process: stop them before the database goes away.
  for (const t of [a, b]) {
    const uuid = t && live.get(t.slug);
    if (!uuid) continue;
    await cancelRun(t.owner, uuid);
    await waitForRunEnd(t.owner, uuid);
  }
  await shutdownSandboxPool();
}, 30_000);

describe("tenancy matrix of the server actions", () => {
  let modules: Awaited<ReturnType<typeof serverActionModules>>;
  const action = (key: string): ServerAction => {
    const [mod, name] = key.split(".");
    return modules.find((m) => m.module === mod)!.actions[name];
  };

  beforeAll(async () => {
    modules = await serverActionModules();
  });

  it("has a row for every exported server action, and none for actions that do not exist", () => {
    const exported = modules.flatMap((m) => Object.keys(m.actions).map((name) => `${m.module}.${name}`));
    expect(exported.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(ROWS).sort()).toEqual(exported.sort());
  });

  it("A's owner gets 'not found' for B's ids and B's workspace from every action, as for ids that never existed; A's own ids work; B is unchanged", async () => {
    const before = await snapshotWorkspace(b.owner.workspaceId);
    const victim = await idsOf(b);
    const ghost = await idsOf(b, true);
    let foreign = 0;
    let slugs = 0;
    let controls = 0;
    let n = 0;
    for (const [key, row] of Object.entries(ROWS)) {
      if (row.kind === "exempt") continue;
      const run = async (input: unknown) => (await asSignedIn(a.owner.userId!, () => (action(key) as (i: unknown) => Promise<Result>)(input))).value;

      // B's workspace by slug: the caller is no member of it.
      const control = row.control(a, ++n) as Record<string, unknown>;
      if ("workspace" in control) {
        const r = await run({ ...control, workspace: b.slug });
        expect(r, `${key} with workspace ${b.slug}`).toEqual({ ok: false, message: "Workspace not found" });
        slugs++;
      }
      // B's objects, named from A's workspace.
      const theirs = row.foreign?.(victim, a) ?? [];
      const ghosts = row.foreign?.(ghost, a) ?? [];
      for (let i = 0; i < theirs.length; i++) {
        const what = `${key} [${theirs[i].label}]`;
        const r = await run(theirs[i].input);
        try {
          (theirs[i].expect ?? notFound)(r);
        } catch (error) {
          throw new Error(`${what}: ${(error as Error).message}`);
        }
        if (!theirs[i].expect) {
          const g = await run(ghosts[i].input);
          expect(mask(JSON.stringify(g), ghost), what).toBe(mask(JSON.stringify(r), victim));
        }
        foreign++;
      }
      // The same action with A's own ids and workspace works.
      const mine = await run(control);
      if (key === "members.leaveWorkspaceAction") {
        // A sole owner is refused for being the last owner: the workspace was found.
        expect(mine).toEqual({ ok: false, message: expect.stringMatching(/last owner|only owner/i) });
      } else {
        expect(mine.ok, `${key} with own ids: ${JSON.stringify(mine)}`).toBe(true);
      }
      controls++;
    }
    const after = await snapshotWorkspace(b.owner.workspaceId);
    const { events: _e1, steps: _s1, ...beforeRest } = before;
    const { events: _e2, steps: _s2, ...afterRest } = after;
    expect(afterRest).toEqual(beforeRest);
    expect((await db.run.findUniqueOrThrow({ where: { uuid: live.get(b.slug)! } })).cancelRequestedAt).toBeNull();
    console.log(`[tenancy-actions] ${foreign} foreign-id calls, ${slugs} foreign-workspace calls, ${controls} own controls`);
  }, 60_000);

  it("no action runs without a valid session: no cookie, or a cookie sealed with another secret, goes to /login", async () => {
    const forged = `${SESSION_COOKIE}=${await mintSessionToken(a.owner.userId!, "not-the-server-secret")}`;
    // Auth.js logs each forged cookie it refuses; the refusals are what is asserted below.
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    let n = 0;
    for (const [key, row] of Object.entries(ROWS)) {
      if (row.kind === "exempt") continue;
      for (const cookie of [null, forged]) {
        const before = await db.run.count();
        const attempt = inActionRequest(cookie, () => (action(key) as (i: unknown) => Promise<Result>)(row.control(a, 1000 + n)));
        await expect(attempt.then((r) => r.value), `${key} ${cookie ? "forged" : "no"} cookie`).rejects.toSatisfy((e) => isRedirect(e, "/login"));
        expect(await db.run.count()).toBe(before);
        n++;
      }
    }
    quiet.mockRestore();
    expect(n).toBeGreaterThanOrEqual(50);
  });
});
