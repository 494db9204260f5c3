/**
 * Integration: share links on a real database with real runs — creating (hashed,
 * high-entropy tokens), listing per run and per workspace, revoking, expiry, tenancy and
 * roles, and what a stranger with a link gets: the result, inputs only when the link
 * includes them, and an event stream with no step outputs (which can quote the inputs).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { RunEventFrame } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { sha256Hex } from "../security/tokens";
import { GET as sharedEventsRoute } from "../../app/api/share/[token]/events/route";
import { ForbiddenError, NotFoundError, ValidationError } from "./errors";
import { getRunDetail, startRun } from "./runs";
import {
  createShareLink, followSharedRun, getShareLink, getSharedRun, getSharedRunId, listShareLinks, loadSharedRunPage,
  resolveShareToken, revokeShareLink, shareLinkState,
} from "./share-links";
import { filterSharedFrame } from "./shared-run-events";
import { createWorkflow } from "./workflows";
import { createWorkspace } from "./workspaces";

/** An input value that must never reach a viewer whose link leaves the inputs out. */
const SECRET = "Zebulon-Quux-4711";

/** Every step quotes the input somewhere (output, log), but the final output does not. */
const echoDefinition = {
  inputs: [{ name: "name", type: "text" }],
  steps: [
    { id: "echo", kind: "template", config: { template: "The input was {{ inputs.name }}" } },
    { id: "count", kind: "code", config: { code: "console.log('saw: ' + steps.echo.output);\nreturn { n: steps.echo.output.length };" } },
  ],
  outputs: { length: "{{ steps.count.output.n }}" },
};

/** Slow enough to revoke its link while it runs. */
const slowDefinition = {
  inputs: [{ name: "name", type: "text" }],
  steps: [
    { id: "wait", kind: "delay", config: { ms: 4000, message: "waiting" } },
    { id: "done", kind: "template", needs: ["wait"], config: { template: "done with {{ inputs.name }}" } },
  ],
  outputs: { done: "{{ steps.done.output }}" },
};

let owner: Actor;
let other: Actor;
let memberId: string;
const as = (role: Actor["role"], userId: string | null = owner.userId): Actor => ({ ...owner, role, userId });

async function waitForRun(actor: Actor, uuid: string) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

async function finishedEchoRun(actor: Actor = owner) {
  const run = await startRun(actor, { workflow: "echo", inputs: { name: SECRET }, origin: "api" });
  const done = await waitForRun(actor, run.uuid);
  expect(done.status).toBe("succeeded");
  return run;
}

async function collect(gen: AsyncGenerator<RunEventFrame>) {
  const frames: RunEventFrame[] = [];
  for await (const f of gen) frames.push(f);
  return frames;
}

beforeAll(async () => {
  await applyMigrations();
  const [uo, um, ux] = await Promise.all([
    db.user.create({ data: { email: "share-owner@example.test", name: "Olive Owner" } }),
    db.user.create({ data: { email: "share-member@example.test" } }),
    db.user.create({ data: { email: "share-other@example.test" } }),
  ]);
  owner = await createWorkspace(uo.id, { slug: "share-team", name: "Share team" });
  other = await createWorkspace(ux.id, { slug: "share-other", name: "Other" });
  memberId = um.id;
  await db.membership.create({ data: { workspaceId: owner.workspaceId, userId: um.id, role: "member" } });
  for (const actor of [owner, other]) {
    await createWorkflow(actor, { name: "echo", definition: echoDefinition });
    await createWorkflow(actor, { name: "slow", definition: slowDefinition });
  }
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("creating links", () => {
  it("answers a high-entropy token once and stores only its hash", async () => {
    const run = await finishedEchoRun();
    const a = await createShareLink(owner, run.uuid);
    const b = await createShareLink(owner, run.uuid);
    // 24 random bytes as base64url: 32 characters, 192 bits.
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(a.token, "base64url")).toHaveLength(24);
    expect(a.token).not.toBe(b.token);
    expect(a.path).toBe(`/share/${a.token}`);

    const stored = await db.shareLink.findUniqueOrThrow({ where: { id: a.id } });
    expect(stored.tokenHash).toBe(sha256Hex(a.token));
    expect(stored.last4).toBe(a.token.slice(-4));
    expect(JSON.stringify(stored)).not.toContain(a.token);
    expect(stored.createdById).toBe(owner.userId);
    expect(stored.includeInputs).toBe(false);
    expect(stored.expiresAt).toBeNull();
  });

  it("refuses an expiry in the past or more than a year ahead, storing nothing", async () => {
    const run = await finishedEchoRun();
    const before = await db.shareLink.count();
    for (const expiresAt of [new Date(Date.now() - 1000), new Date(Date.now() + 366 * 86_400_000), new Date(Number.NaN)]) {
      const err = await createShareLink(owner, run.uuid, { expiresAt }).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.detail[0].loc).toEqual(["expiresAt"]);
    }
    expect(await db.shareLink.count()).toBe(before);
  });

  it("lets members share; viewers may only list", async () => {
    const run = await finishedEchoRun();
    const made = await createShareLink(as("member", memberId), run.uuid);
    expect((await db.shareLink.findUniqueOrThrow({ where: { id: made.id } })).createdById).toBe(memberId);
    await expect(createShareLink(as("viewer"), run.uuid)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revokeShareLink(as("viewer"), made.id)).rejects.toBeInstanceOf(ForbiddenError);
    const listed = await listShareLinks(as("viewer"), { run: run.uuid });
    expect(listed.links.map((l) => l.id)).toEqual([made.id]);
    // A member may revoke a link someone else made in the same workspace.
    const byOwner = await createShareLink(owner, run.uuid);
    expect((await revokeShareLink(as("member", memberId), byOwner.id)).state).toBe("revoked");
  });
});

describe("listing and revoking", () => {
  it("lists a run's links and the workspace's, newest first, with who made them and their state", async () => {
    const run1 = await finishedEchoRun();
    const run2 = await finishedEchoRun();
    const l1 = await createShareLink(owner, run1.uuid, { includeInputs: true });
    const l2 = await createShareLink(owner, run1.uuid, { expiresAt: new Date(Date.now() + 3_600_000) });
    const l3 = await createShareLink(as("member", memberId), run2.uuid);
    await revokeShareLink(owner, l1.id);

    const forRun1 = await listShareLinks(owner, { run: run1.uuid });
    expect(forRun1.links.map((l) => [l.id, l.state, l.includeInputs])).toEqual([[l2.id, "active", false], [l1.id, "revoked", true]]);
    expect(forRun1.links[0].createdBy).toEqual({ name: "Olive Owner", email: "share-owner@example.test" });
    expect(forRun1.links[0].expiresAt).toBe(l2.expiresAt!.toISOString());
    expect(forRun1.links[0].run).toMatchObject({ uuid: run1.uuid, workflowName: "echo", versionNumber: 1 });
    expect(forRun1.links[1].revokedAt).not.toBeNull();

    const all = await listShareLinks(owner);
    expect(all.links.slice(0, 3).map((l) => l.id)).toEqual([l3.id, l2.id, l1.id]);
    expect(all.links[0].createdBy?.email).toBe("share-member@example.test");
    const active = await listShareLinks(owner, { state: "active" });
    expect(active.links.every((l) => l.state === "active")).toBe(true);
    expect(active.links.map((l) => l.id)).toContain(l2.id);
    const inactive = await listShareLinks(owner, { state: "inactive" });
    expect(inactive.links.every((l) => l.state !== "active")).toBe(true);
    expect(inactive.links.map((l) => l.id)).toContain(l1.id);

    // Pages: `nextBefore` continues where a page stopped, with no overlap.
    const page1 = await listShareLinks(owner, { limit: 2 });
    expect(page1.nextBefore).toBe(page1.links[1].id);
    const page2 = await listShareLinks(owner, { limit: 2, before: page1.nextBefore! });
    expect(page2.links[0].id).toBeLessThan(page1.links[1].id);
  });

  it("revoking stops the link at once and keeps the first revoke time", async () => {
    const run = await finishedEchoRun();
    const link = await createShareLink(owner, run.uuid);
    expect((await getSharedRun(link.token)).run.uuid).toBe(run.uuid);
    const revoked = await revokeShareLink(owner, link.id);
    expect(revoked.state).toBe("revoked");
    await expect(getSharedRun(link.token)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getSharedRunId(link.token)).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadSharedRunPage(link.token)).rejects.toBeInstanceOf(NotFoundError);
    await new Promise((r) => setTimeout(r, 5));
    expect((await revokeShareLink(owner, link.id)).revokedAt).toBe(revoked.revokedAt);
  });

  it("keeps workspaces apart: another workspace's runs and links are NotFound", async () => {
    const run = await finishedEchoRun();
    const link = await createShareLink(owner, run.uuid);
    await expect(createShareLink(other, run.uuid)).rejects.toBeInstanceOf(NotFoundError);
    await expect(listShareLinks(other, { run: run.uuid })).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeShareLink(other, link.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getShareLink(other, link.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listShareLinks(other)).links.some((l) => l.id === link.id)).toBe(false);
    // Nothing was changed by the refused revoke.
    expect((await getShareLink(owner, link.id)).state).toBe("active");
  });
});

describe("expiry", () => {
  it("a link works until its expiry, then is NotFound and listed as expired", async () => {
    const run = await finishedEchoRun();
    const link = await createShareLink(owner, run.uuid, { expiresAt: new Date(Date.now() + 400) });
    expect(await getSharedRunId(link.token)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    await expect(getSharedRun(link.token)).rejects.toBeInstanceOf(NotFoundError);
    expect((await getShareLink(owner, link.id)).state).toBe("expired");
    expect(shareLinkState({ revokedAt: null, expiresAt: new Date(Date.now() - 1) })).toBe("expired");
    expect(shareLinkState({ revokedAt: new Date(), expiresAt: new Date(Date.now() - 1) })).toBe("revoked");
    expect(shareLinkState({ revokedAt: null, expiresAt: null })).toBe("active");
  });

  it("refuses malformed and unknown tokens without telling them apart", async () => {
    for (const token of ["", "short", "x".repeat(32), "../../etc/passwd-000000000000000", "a".repeat(65)]) {
      const err = await resolveShareToken(token).catch((e) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err.message).toBe("Shared run not found");
    }
  });
});

describe("what a shared viewer gets", () => {
  it("without inputs: the result, but no inputs, step outputs or log lines anywhere", async () => {
    const run = await finishedEchoRun();
    const link = await createShareLink(owner, run.uuid);
    const shared = await getSharedRun(link.token);
    expect(shared.run.inputs).toBeNull();
    expect(shared.run.outputs).toEqual({ length: `The input was ${SECRET}`.length });
    expect(JSON.stringify(shared)).not.toContain(SECRET);

    const page = await loadSharedRunPage(link.token);
    expect(JSON.stringify(page)).not.toContain(SECRET);
    expect(page.stepSpecs.map((s) => s.id)).toEqual(["echo", "count"]);
    const types = page.frames.map((f) => f.type);
    expect(types).toContain("step_finished");
    expect(types).not.toContain("log");
    expect(page.frames.find((f) => f.type === "run_finished")?.data.outputs).toEqual(shared.run.outputs);
    for (const f of page.frames.filter((f) => f.type === "step_finished")) {
      expect(f.data).not.toHaveProperty("output");
      expect(f.data.status).toBe("succeeded");
    }
    // The stored log has all of it: the filter, not the run, is what hides it.
    const stored = await db.runEvent.findMany({ where: { runId: shared.runId } });
    expect(JSON.stringify(stored)).toContain(SECRET);

    // The live stream of a finished run replays (filtered) and ends.
    const streamed = await collect(followSharedRun(await resolveShareToken(link.token), { afterSeq: 0 }));
    expect(streamed).toEqual(page.frames);
  });

  it("with inputs: the inputs and log lines too, still no step outputs", async () => {
    const run = await finishedEchoRun();
    const link = await createShareLink(owner, run.uuid, { includeInputs: true });
    const page = await loadSharedRunPage(link.token);
    expect(page.run.inputs).toEqual({ name: SECRET });
    const log = page.frames.find((f) => f.type === "log");
    expect(log?.data).toMatchObject({ step_id: "count", message: `saw: The input was ${SECRET}` });
    expect(page.frames.filter((f) => f.type === "step_finished").some((f) => "output" in f.data)).toBe(false);
  });

  it("a share page reaches the end of a long log, even past what it renders", async () => {
    const run = await finishedEchoRun();
    const { id: runId } = await db.run.findFirstOrThrow({ where: { uuid: run.uuid }, select: { id: true } });
    // Move run_finished behind 21,000 log lines (as a long streamed answer would put it).
    const last = await db.runEvent.findFirstOrThrow({ where: { runId, type: "run_finished" } });
    await db.runEvent.update({ where: { runId_seq: { runId, seq: last.seq } }, data: { seq: last.seq + 21_000 } });
    await db.runEvent.createMany({
      data: Array.from({ length: 21_000 }, (_, i) => ({
        runId, workspaceId: owner.workspaceId, seq: last.seq + i, type: "log",
        data: JSON.stringify({ step_id: "count", level: "info", message: `line ${i}` }),
      })),
    });
    const resultOnly = await loadSharedRunPage((await createShareLink(owner, run.uuid)).token);
    expect(resultOnly.frames.at(-1)).toMatchObject({ type: "run_finished", seq: last.seq + 21_000 });
    expect(resultOnly.frames.some((f) => f.type === "log")).toBe(false);

    const withInputs = await loadSharedRunPage((await createShareLink(owner, run.uuid, { includeInputs: true })).token);
    expect(withInputs.frames.length).toBeLessThan(21_000);
    expect(withInputs.frames.filter((f) => f.type === "log").length).toBeGreaterThanOrEqual(20_000 - 10);
    expect(withInputs.frames.at(-1)).toMatchObject({ type: "run_finished", seq: last.seq + 21_000 });
  });

  it("the SSE route streams the filtered log, and a revoked link answers 404 'This link does not work'", async () => {
    const run = await finishedEchoRun();
    const link = await createShareLink(owner, run.uuid);
    const call = (token: string, after = 0) =>
      sharedEventsRoute(new Request(`http://test/api/share/${token}/events?after=${after}`), { params: Promise.resolve({ token }) });

    const res = await call(link.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body).toContain("event: run_finished");
    expect(body).toContain("event: step_finished");
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain("event: log");
    // Ids are the stored seqs, so a reconnect resumes after the last one it saw.
    const ids = [...body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(2);
    const resumed = await (await call(link.token, ids[ids.length - 2])).text();
    expect([...resumed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([ids[ids.length - 1]]);

    await revokeShareLink(owner, link.id);
    const dead = await call(link.token);
    expect(dead.status).toBe(404);
    expect(await dead.json()).toEqual({ code: "not_found", message: "This link does not work" });
    const unknown = await call("y".repeat(32));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: "not_found", message: "This link does not work" });
  });

  it("an open live stream ends soon after its link is revoked, before the run finishes", async () => {
    const started = await startRun(owner, { workflow: "slow", inputs: { name: SECRET }, origin: "api" });
    const link = await createShareLink(owner, started.uuid);
    const access = await resolveShareToken(link.token);
    const seen: RunEventFrame[] = [];
    let revokedAt = 0;
    const t0 = Date.now();
    for await (const frame of followSharedRun(access, { afterSeq: 0, recheckMs: 50 })) {
      seen.push(frame);
      if (frame.type === "step_started" && !revokedAt) {
        await revokeShareLink(owner, link.id);
        revokedAt = Date.now();
      }
    }
    expect(revokedAt).toBeGreaterThan(0);
    expect(Date.now() - revokedAt).toBeLessThan(1500);
    expect(Date.now() - t0).toBeLessThan(3500);
    expect(seen.some((f) => f.type === "run_finished")).toBe(false);
    // Progress ticks are shared without their message (there is none here), never a log line.
    expect(seen.some((f) => f.type === "log")).toBe(false);
    await waitForRun(owner, started.uuid);
  });

  it("an open live stream ends at its link's expiry", async () => {
    const started = await startRun(owner, { workflow: "slow", inputs: { name: SECRET }, origin: "api" });
    const link = await createShareLink(owner, started.uuid, { expiresAt: new Date(Date.now() + 800) });
    const t0 = Date.now();
    const frames = await collect(followSharedRun(await resolveShareToken(link.token), { afterSeq: 0, recheckMs: 100 }));
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(frames.some((f) => f.type === "run_finished")).toBe(false);
    await waitForRun(owner, started.uuid);
  });
});

describe("filterSharedFrame", () => {
  const frame = (type: string, data: Record<string, unknown>): RunEventFrame => ({ seq: 7, type, at: "2026-01-01T00:00:00.000Z", data });
  const without = { includeInputs: false };
  const withInputs = { includeInputs: true };

  it("never shares step outputs; keeps status, timing, attempts, tokens and errors", () => {
    const finished = frame("step_finished", {
      step_id: "s", kind: "code", status: "failed", output: { quote: SECRET }, error: { code: "x", message: "m" },
      duration_ms: 5, attempts: 2, tokens: 9,
    });
    for (const view of [without, withInputs]) {
      expect(filterSharedFrame(finished, view)).toEqual(frame("step_finished", {
        step_id: "s", kind: "code", status: "failed", error: { code: "x", message: "m" }, duration_ms: 5, attempts: 2, tokens: 9,
      }));
    }
  });

  it("drops streamed text and logs, and progress messages, unless inputs are included", () => {
    const chunk = frame("text_chunk", { step_id: "s", text: SECRET });
    const log = frame("log", { step_id: "s", level: "info", message: SECRET });
    const progress = frame("progress", { step_id: "s", fraction: 0.5, message: SECRET });
    expect(filterSharedFrame(chunk, without)).toBeNull();
    expect(filterSharedFrame(log, without)).toBeNull();
    expect(filterSharedFrame(progress, without)).toEqual(frame("progress", { step_id: "s", fraction: 0.5 }));
    expect(filterSharedFrame(chunk, withInputs)).toEqual(chunk);
    expect(filterSharedFrame(log, withInputs)).toEqual(log);
    expect(filterSharedFrame(progress, withInputs)).toEqual(progress);
  });

  it("keeps the final outputs and error, and drops fields and event types it does not know", () => {
    const finished = frame("run_finished", {
      status: "succeeded", outputs: { answer: 42 }, duration_ms: 10, total_steps: 2, total_tokens: 0, inputs: { name: SECRET },
    });
    expect(filterSharedFrame(finished, without)?.data).toEqual({ status: "succeeded", outputs: { answer: 42 }, duration_ms: 10, total_steps: 2, total_tokens: 0 });
    expect(filterSharedFrame(frame("run_started", { total_steps: 2, inputs: { name: SECRET } }), withInputs)?.data).toEqual({ total_steps: 2 });
    expect(filterSharedFrame(frame("debug_dump", { anything: SECRET }), withInputs)).toBeNull();
  });
});
