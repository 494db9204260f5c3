/**
 * Read-only share links for one run. The token (192 bits) lives only in the link; the
 * database keeps its SHA-256, so a leaked database does not leak working links.
 *
 * Roles: members and up create and revoke their workspace's links (any link in it, not only
 * their own); viewers may list them. Resolving a token needs no actor: an unknown, revoked
 * or expired token is one and the same NotFound, so a stranger learns nothing from it.
 */
import { db } from "../db/client";
import { randomToken, sha256Hex } from "../security/tokens";
import type { Actor } from "../schemas/workspace";
import { MAX_SHARE_LINK_DAYS, type ShareLinkState, type ShareLinkView } from "../schemas/share-links";
import { NotFoundError, ValidationError } from "./errors";
import { assertCan } from "./permissions";
import type { RunEventFrame } from "../schemas/run";
import { listRunEventsAfter, toFrame } from "./run-events";
import { findRunId, getRunDetailById } from "./runs";
import { filterSharedFrames, followSharedRunEvents } from "./shared-run-events";
import { getDefinitionOfVersion } from "./workflows";

/** Bytes of randomness in a token (192 bits; the brief asks for at least 128). */
const TOKEN_BYTES = 24;

export function shareLinkState(link: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): ShareLinkState {
  if (link.revokedAt) return "revoked";
  if (link.expiresAt && link.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

function checkExpiry(expiresAt: Date | null | undefined, now: Date): Date | null {
  if (expiresAt == null) return null;
  const at = expiresAt.getTime();
  const problem = Number.isNaN(at)
    ? "Give a valid expiry date"
    : at <= now.getTime()
      ? "The expiry must be in the future"
      : at > now.getTime() + MAX_SHARE_LINK_DAYS * 86_400_000
        ? `A link can live at most ${MAX_SHARE_LINK_DAYS} days`
        : null;
  if (problem) throw new ValidationError([{ loc: ["expiresAt"], msg: problem, type: "value_error" }]);
  return expiresAt;
}

export async function createShareLink(
  actor: Actor,
  runUuid: string,
  opts: { includeInputs?: boolean; expiresAt?: Date | null } = {},
) {
  assertCan(actor, "run");
  const expiresAt = checkExpiry(opts.expiresAt, new Date());
  const run = await findRunId(actor, runUuid);
  const token = randomToken(TOKEN_BYTES);
  const link = await db.shareLink.create({
    data: {
      workspaceId: actor.workspaceId, runId: run.id, tokenHash: sha256Hex(token), last4: token.slice(-4),
      includeInputs: opts.includeInputs ?? false, expiresAt, createdById: actor.userId,
    },
    select: { id: true, includeInputs: true, expiresAt: true, createdAt: true },
  });
  return { ...link, token, path: `/share/${token}` };
}

const linkSelect = {
  id: true, last4: true, includeInputs: true, createdAt: true, expiresAt: true, revokedAt: true, createdById: true,
  run: { select: { uuid: true, status: true, versionNumber: true, workflow: { select: { name: true, title: true } } } },
} as const;
type LinkRow = Awaited<ReturnType<typeof loadLinks>>[number];

type ShareLinkWhere = NonNullable<Parameters<typeof db.shareLink.findMany>[0]>["where"];

function loadLinks(where: ShareLinkWhere, take: number) {
  return db.shareLink.findMany({ where, orderBy: { id: "desc" }, take, select: linkSelect });
}

async function toViews(rows: LinkRow[], now: Date): Promise<ShareLinkView[]> {
  const userIds = [...new Set(rows.map((r) => r.createdById).filter((id): id is string => !!id))];
  const users = userIds.length
    ? await db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true, email: true } })
    : [];
  const byId = new Map(users.map((u) => [u.id, { name: u.name, email: u.email }]));
  return rows.map((r) => ({
    id: r.id,
    last4: r.last4,
    includeInputs: r.includeInputs,
    state: shareLinkState(r, now),
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    createdBy: (r.createdById && byId.get(r.createdById)) || null,
    run: {
      uuid: r.run.uuid, status: r.run.status, versionNumber: r.run.versionNumber,
      workflowName: r.run.workflow.name, workflowTitle: r.run.workflow.title,
    },
  }));
}

export interface ListShareLinksQuery {
  /** Only this run's links (its UUID). NotFound for a run outside the workspace. */
  run?: string;
  /** "active": links that work now; "inactive": expired or revoked ones. Default: all. */
  state?: "all" | "active" | "inactive";
  /** Links older than this id (the `nextBefore` of the previous page). */
  before?: number;
  limit?: number;
}

/** The workspace's share links, newest first, a page at a time. */
export async function listShareLinks(actor: Actor, query: ListShareLinksQuery = {}) {
  assertCan(actor, "read");
  const now = new Date();
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const runId = query.run ? (await findRunId(actor, query.run)).id : undefined;
  const live = { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
  const rows = await loadLinks(
    {
      workspaceId: actor.workspaceId,
      ...(runId !== undefined ? { runId } : {}),
      ...(query.before ? { id: { lt: query.before } } : {}),
      ...(query.state === "active" ? live : query.state === "inactive" ? { NOT: live } : {}),
    },
    limit + 1,
  );
  const page = rows.slice(0, limit);
  return { links: await toViews(page, now), nextBefore: rows.length > limit ? page[page.length - 1].id : null };
}

/** Revokes a link of the actor's workspace (idempotent). Its page and stream stop working at once. */
export async function revokeShareLink(actor: Actor, id: number): Promise<ShareLinkView> {
  assertCan(actor, "run");
  const found = await db.shareLink.findFirst({ where: { id, workspaceId: actor.workspaceId }, select: { id: true, revokedAt: true } });
  if (!found) throw new NotFoundError("Share link");
  if (!found.revokedAt) {
    // Only a live row is touched, so a second revoke keeps the first time.
    await db.shareLink.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  }
  return getShareLink(actor, id);
}

/** One link of the actor's workspace (NotFound for another workspace's). */
export async function getShareLink(actor: Actor, id: number): Promise<ShareLinkView> {
  assertCan(actor, "read");
  const rows = await loadLinks({ id, workspaceId: actor.workspaceId }, 1);
  if (rows.length === 0) throw new NotFoundError("Share link");
  return (await toViews(rows, new Date()))[0];
}

// ---- Reading through a token (no actor: the token is the permission) ----------------------

/** What a token grants while its link is live. */
export interface SharedAccess {
  linkId: number;
  runId: number;
  includeInputs: boolean;
  expiresAt: Date | null;
}

/** The link for a token if it works now (not revoked, not expired), else NotFound. */
export async function resolveShareToken(token: string): Promise<SharedAccess> {
  // Tokens are base64url; anything else is not worth a query.
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) throw new NotFoundError("Shared run");
  const link = await db.shareLink.findUnique({
    where: { tokenHash: sha256Hex(token) },
    select: { id: true, runId: true, includeInputs: true, expiresAt: true, revokedAt: true },
  });
  if (!link || shareLinkState(link) !== "active") throw new NotFoundError("Shared run");
  return { linkId: link.id, runId: link.runId, includeInputs: link.includeInputs, expiresAt: link.expiresAt };
}

/** Whether a link still works (checked again while its live stream is open). */
export async function isShareLinkLive(linkId: number): Promise<boolean> {
  const link = await db.shareLink.findUnique({ where: { id: linkId }, select: { expiresAt: true, revokedAt: true } });
  return !!link && shareLinkState(link) === "active";
}

/** What a share page may show of the run: its result, and its inputs only if the link allows. */
export async function getSharedRun(token: string) {
  const access = await resolveShareToken(token);
  const run = await getRunDetailById(access.runId);
  if (!run) throw new NotFoundError("Shared run");
  return {
    runId: access.runId,
    includeInputs: access.includeInputs,
    expiresAt: access.expiresAt,
    run: {
      uuid: run.uuid, status: run.status, versionId: run.versionId, versionNumber: run.versionNumber,
      workflow: { title: run.workflow.title },
      createdAt: run.createdAt, finishedAt: run.finishedAt, elapsedMs: run.elapsedMs, totalTokens: run.totalTokens,
      inputs: access.includeInputs ? run.inputs : null,
      outputs: run.outputs,
    },
  };
}

/** Everything the share page renders first: the run, its step list and its (filtered) event log. */
export async function loadSharedRunPage(token: string) {
  const shared = await getSharedRun(token);
  const [definition, frames] = await Promise.all([
    getDefinitionOfVersion(shared.run.versionId),
    sharedFramesOf(shared.runId, { includeInputs: shared.includeInputs }),
  ]);
  const stepSpecs = definition.steps.map((s) => ({ id: s.id, kind: s.kind, name: s.name ?? s.id }));
  return { ...shared, stepSpecs, frames };
}

/** At most this many (filtered) frames are rendered into a share page. */
const MAX_PAGE_FRAMES = 20_000;
const READ_PAGE = 2_000;

/**
 * The run's stored events as a shared viewer sees them, read a page at a time: without inputs
 * a long LLM run is mostly text chunks that are dropped, so the first N stored events would
 * not reach its end. Past the cap, the run_finished event is still included, so a finished
 * run always shows its outputs.
 */
async function sharedFramesOf(runId: number, view: { includeInputs: boolean }): Promise<RunEventFrame[]> {
  const out: RunEventFrame[] = [];
  let after = 0;
  for (;;) {
    const page = await listRunEventsAfter(runId, after, READ_PAGE);
    out.push(...filterSharedFrames(page, view));
    if (page.length < READ_PAGE) return out;
    after = page[page.length - 1].seq;
    if (out.length >= MAX_PAGE_FRAMES) break;
  }
  const finished = await db.runEvent.findFirst({
    where: { runId, type: "run_finished", seq: { gt: after } },
    select: { seq: true, type: true, data: true, createdAt: true },
  });
  return finished ? [...out, ...filterSharedFrames([toFrame(finished)], view)] : out;
}

/** The run id a share token gives read access to. */
export async function getSharedRunId(token: string): Promise<number> {
  return (await resolveShareToken(token)).runId;
}

/**
 * The shared run's live events, filtered for a shared viewer; ends when the run finishes or
 * the link is revoked or expires.
 */
export function followSharedRun(access: SharedAccess, opts: { afterSeq: number; signal?: AbortSignal; recheckMs?: number }) {
  return followSharedRunEvents(access.runId, {
    ...opts,
    view: { includeInputs: access.includeInputs },
    expiresAt: access.expiresAt,
    isLive: () => isShareLinkLive(access.linkId),
  });
}
