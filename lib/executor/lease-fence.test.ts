/**
 * An executor that lost its run must not call out for it (found by the hung-worker fault
 * test, lib/executor/faults/hung-worker.pg.test.ts: a worker thawed after SIGSTOP made the
 * http calls of runs another worker had already finished). Its writes were always fenced
 * by the lease; now a step that reaches the outside also waits until its start is stored
 * under the lease, so the loss is noticed before the call.
 *
 * In-process, on the file's database: a run waits in a delay before an http step; its
 * lease is handed to another owner meanwhile (what a takeover does); the http step must
 * never reach the receiver, and nothing more is stored for the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { startRun } from "../services/runs";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import type { Actor } from "../schemas/workspace";
import { isExecutingHere } from "./index";
import { sideEffectWorkflow, startSideEffectReceiver, waitFor, type SideEffectReceiver } from "./test-fixtures";

let actor: Actor;
let receiver: SideEffectReceiver;

beforeAll(async () => {
  await applyMigrations();
  receiver = await startSideEffectReceiver();
  process.env.FLOWDECK_FETCH_ALLOW = new URL(receiver.origin).host;
  const user = await db.user.create({ data: { email: "lease-fence@example.test" } });
  actor = await createWorkspace(user.id, { slug: "fence", name: "Fence" });
  await createWorkflow(actor, { name: "chain", definition: sideEffectWorkflow(800) });
});

afterAll(async () => {
  delete process.env.FLOWDECK_FETCH_ALLOW;
  await receiver?.close();
});

describe("an executor that lost its lease", () => {
  it("does not make the next step's call once the run was taken over", async () => {
    const run = await startRun(actor, { workflow: "chain", inputs: { receiver: receiver.origin }, origin: "api" });
    // Step a is stored; the run waits in the delay before calling b.
    await waitFor(async () => (await db.stepRun.count({ where: { runId: run.id, stepId: "a" } })) === 1, 10_000, "step a to be stored");
    const mine = await db.run.findUniqueOrThrow({ where: { id: run.id }, select: { leaseOwner: true } });
    expect(mine.leaseOwner).toBeTruthy();
    // Another executor takes the run over (its lease lapsed while this one was stalled).
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "another-executor", leaseExpiresAt: new Date(Date.now() + 60_000) } });
    const lastSeq = (await db.run.findUniqueOrThrow({ where: { id: run.id } })).lastSeq;

    // The delay ends; the execution stops at b's start instead of calling it.
    await waitFor(() => !isExecutingHere(run.id), 10_000, "this process to let go of the run");
    expect(receiver.count(run.uuid, "a")).toBe(1);
    expect(receiver.count(run.uuid, "b"), "calls of step b by the executor that lost the run").toBe(0);
    const after = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect({ status: after.status, leaseOwner: after.leaseOwner, lastSeq: after.lastSeq }).toEqual({ status: "running", leaseOwner: "another-executor", lastSeq });
  });
});
