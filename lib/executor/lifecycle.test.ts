/**
 * Integration (embedded mode, a real SQLite database, a real local HTTP receiver): graceful
 * stop (running steps finish within the grace period, the rest is handed back and resumed
 * without repeating a finished step), a lease lost to another executor (nothing more is
 * written), the fence on event writes, and the takeover bound (failed / interrupted).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  // Short leases, so heartbeats and expiries happen within a test.
  process.env.FLOWDECK_LEASE_MS = "600";
  process.env.FLOWDECK_MAX_TAKEOVERS = "2";
});

import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { claimRun, LEASE_MS, MAX_TAKEOVERS } from "../services/run-execution";
import { RunEventWriter } from "../services/run-event-writer";
import { LeaseLostError } from "../services/run-store";
import { getRunDetail, startRun } from "../services/runs";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { startExecutor, stopExecutor } from "./index";
import { LocalRuns } from "./local-runs";
import { hitStep, sideEffectWorkflow, startSideEffectReceiver, waitFor, type SideEffectReceiver } from "./test-fixtures";

let actor: Actor;
let receiver: SideEffectReceiver;

const detail = (uuid: string) => getRunDetail(actor, uuid);
const finished = (uuid: string, ms = 10_000) =>
  waitFor(async () => {
    const run = await detail(uuid);
    return ["succeeded", "failed", "cancelled"].includes(run.status) && run;
  }, ms, `run ${uuid} to finish`);
const events = (runId: number, type: string) => db.runEvent.findMany({ where: { runId, type }, orderBy: { seq: "asc" } });
const stepStatus = async (runId: number) =>
  Object.fromEntries((await db.stepRun.findMany({ where: { runId } })).map((s) => [s.stepId, s.status]));

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "lifecycle@example.test" } });
  actor = await createWorkspace(user.id, { slug: "lifecycle", name: "Lifecycle" });
  receiver = await startSideEffectReceiver();
  process.env.FLOWDECK_FETCH_ALLOW = new URL(receiver.origin).host;
  await createWorkflow(actor, { name: "short-wait", definition: sideEffectWorkflow(700) });
  await createWorkflow(actor, { name: "long-wait", definition: sideEffectWorkflow(8_000) });
  await startExecutor();
});

afterAll(async () => {
  await stopExecutor(0);
  await receiver.close();
});

const inputs = () => ({ receiver: receiver.origin });

describe("graceful stop (inline executor)", () => {
  it("lets the running step finish, starts no new one, hands the run back, and the next start resumes it", async () => {
    const run = await startRun(actor, { workflow: "short-wait", inputs: inputs(), origin: "api" });
    await waitFor(async () => (await events(run.id, "step_started")).some((e) => e.data.includes('"wait"')), 5_000, "the wait step to start");
    const t0 = Date.now();
    await stopExecutor(5_000);
    // The 700 ms wait finished inside the grace period; b never started.
    expect(Date.now() - t0).toBeLessThan(3_000);
    const row = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.status).toBe("queued");
    expect(row.leaseOwner).toBeNull();
    expect(await stepStatus(run.id)).toEqual({ a: "succeeded", wait: "succeeded" });
    expect(await events(run.id, "run_finished")).toHaveLength(0);
    expect(receiver.count(run.uuid, "b")).toBe(0);

    await startExecutor();
    const done = await finished(run.uuid);
    expect(done.status).toBe("succeeded");
    expect(receiver.count(run.uuid, "a")).toBe(1);
    expect(receiver.count(run.uuid, "b")).toBe(1);
    expect(await events(run.id, "run_finished")).toHaveLength(1);
    // The resumed execution is not a takeover: the run was handed back, not lost.
    const starts = await events(run.id, "run_started");
    expect(starts).toHaveLength(2);
    expect(JSON.parse(starts[1].data).takeover).toBeUndefined();
  });

  it("after the grace period stops the running step without storing it, and the resume runs it again", async () => {
    const run = await startRun(actor, { workflow: "long-wait", inputs: inputs(), origin: "api" });
    await waitFor(async () => (await events(run.id, "step_started")).some((e) => e.data.includes('"wait"')), 5_000, "the wait step to start");
    const t0 = Date.now();
    await stopExecutor(300);
    expect(Date.now() - t0).toBeLessThan(2_000);
    const row = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.status).toBe("queued");
    expect(await stepStatus(run.id)).toEqual({ a: "succeeded" });
    expect(await events(run.id, "run_finished")).toHaveLength(0);
    // Cancel it rather than wait 8 s: the point is that it is resumable, shown above.
    await db.run.update({ where: { id: run.id }, data: { status: "cancelled", finishedAt: new Date() } });
    await startExecutor();
  });
});

describe("leases", () => {
  it("an executor that lost its lease stops and writes nothing more", async () => {
    await createWorkflow(actor, {
      name: "lease-loss",
      definition: { inputs: [{ name: "receiver", type: "text" }], steps: [hitStep("a"), { id: "wait", kind: "delay", needs: ["a"], config: { ms: 5_000 } }, hitStep("b", ["wait"])] },
    });
    await stopExecutor(0); // a run stored queued, executed by a LocalRuns of our own below
    const run = await startRun(actor, { workflow: "lease-loss", inputs: inputs(), origin: "api" });
    expect(run.status).toBe("queued");
    const local = new LocalRuns({ owner: "test-owner-a" });
    const claimed = await claimRun(run.id, local.owner);
    expect(claimed).not.toBeNull();
    const ended = local.execute(claimed!);
    await waitFor(() => receiver.count(run.uuid, "a") === 1, 5_000, "step a");
    // Another executor takes it over (as after a stall longer than the lease).
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "test-owner-b", leaseExpiresAt: new Date(Date.now() + 60_000) } });
    const seqBefore = (await db.run.findUniqueOrThrow({ where: { id: run.id } })).lastSeq;
    expect(await ended).toBe("lease_lost"); // noticed at the next heartbeat (LEASE_MS / 3)
    const after = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.lastSeq).toBe(seqBefore);
    expect(after.status).toBe("running");
    expect(after.leaseOwner).toBe("test-owner-b");
    expect(receiver.count(run.uuid, "b")).toBe(0);

    // The fence itself: a writer of the old owner cannot append.
    const stale = new RunEventWriter(run.id, actor.workspaceId, after.lastSeq, "test-owner-a");
    stale.append("log", { step_id: "a", level: "info", message: "late" });
    await expect(stale.flushNow()).rejects.toBeInstanceOf(LeaseLostError);
    expect((await db.run.findUniqueOrThrow({ where: { id: run.id } })).lastSeq).toBe(seqBefore);
    await db.run.update({ where: { id: run.id }, data: { status: "cancelled", leaseOwner: null } });
    await startExecutor();
  });

  it("a run taken over more than MAX_TAKEOVERS times ends failed / interrupted, closing its started steps", async () => {
    expect(MAX_TAKEOVERS).toBe(2);
    await stopExecutor(0);
    const run = await startRun(actor, { workflow: "long-wait", inputs: inputs(), origin: "api" });
    // Execute it twice, each time "dying" mid-way (the lease left to expire, nothing handed back).
    for (let i = 1; i <= MAX_TAKEOVERS + 1; i++) {
      const local = new LocalRuns({ owner: `dying-${i}` });
      const claimed = await claimRun(run.id, local.owner);
      expect(claimed?.takeovers).toBe(i - 1);
      void local.execute(claimed!);
      await waitFor(async () => (await events(run.id, "step_started")).filter((e) => e.data.includes('"wait"')).length === i, 5_000, "wait to start");
      // Simulate the crash: stop heartbeats and writes by taking the lease away, then let it lapse.
      await db.run.update({ where: { id: run.id }, data: { leaseOwner: `dead-${i}`, leaseExpiresAt: new Date(Date.now() - 1) } });
      await waitFor(() => local.size === 0, 5_000, "the dying executor to stop");
    }
    const starts = (await events(run.id, "run_started")).map((e) => JSON.parse(e.data).takeover ?? 0);
    expect(starts).toEqual([0, 1, 2]);
    expect(await claimRun(run.id, "one-too-many")).toBeNull();
    const row = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.status).toBe("failed");
    expect(row.errorCode).toBe("interrupted");
    expect(row.leaseOwner).toBeNull();
    const end = await events(run.id, "run_finished");
    expect(end).toHaveLength(1);
    expect(JSON.parse(end[0].data)).toMatchObject({ status: "failed", error: { code: "interrupted" } });
    // The wait step had started and never finished: it is closed as cancelled.
    expect(await stepStatus(run.id)).toEqual({ a: "succeeded", wait: "cancelled" });
    expect(receiver.count(run.uuid, "a")).toBe(1);
    expect(LEASE_MS).toBe(600);
    await startExecutor();
  });
});
