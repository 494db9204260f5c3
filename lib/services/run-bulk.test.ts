/**
 * Integration: bulk cancel and bulk re-run of the runs history, on a real database with the
 * in-process executor — only queued/running runs are cancelled, finished ones are reported,
 * another workspace's ids count as not found, viewers are refused with a reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { stopExecutor } from "../executor";
import type { Actor } from "../schemas/workspace";
import { ForbiddenError, ValidationError } from "./errors";
import { cancelRuns, MAX_BULK_RUNS, rerunRuns } from "./run-bulk";
import { getRunDetail, startRun } from "./runs";
import { createWorkflow, publishVersion } from "./workflows";
import { createWorkspace } from "./workspaces";

let a: Actor;
let b: Actor;

const slow = {
  inputs: [],
  steps: [{ id: "wait", kind: "delay", config: { ms: 30_000 } }],
  outputs: { done: "{{ steps.wait.output.waited_ms }}" },
};
const echo = (prefix: string) => ({
  inputs: [{ name: "text", type: "text" }],
  steps: [{ id: "say", kind: "template", config: { template: `${prefix}{{ inputs.text }}` } }],
  outputs: { said: "{{ steps.say.output }}" },
});

async function waitForRun(actor: Actor, uuid: string) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "bulk-a@example.test" } }),
    db.user.create({ data: { email: "bulk-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "bulk-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "bulk-b", name: "B" });
  for (const actor of [a, b]) {
    await createWorkflow(actor, { name: "slow", definition: slow });
    await createWorkflow(actor, { name: "echo", definition: echo("v1:") });
  }
  await publishVersion(a, "echo", echo("v2:"));
});

afterAll(async () => {
  // Cancelled runs may still be writing their last events: let the executor finish before the
  // database closes.
  await stopExecutor(0);
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("bulk cancel", () => {
  it("cancels queued and running runs only, and says what it skipped", async () => {
    const running = [await startRun(a, { workflow: "slow", origin: "ui" }), await startRun(a, { workflow: "slow", origin: "ui" })];
    const done = await startRun(a, { workflow: "echo", inputs: { text: "hi" }, origin: "ui" });
    await waitForRun(a, done.uuid);
    const foreign = await startRun(b, { workflow: "slow", origin: "ui" });

    const ids = [...running.map((r) => r.uuid), done.uuid, foreign.uuid, running[0].uuid.toUpperCase()];
    const result = await cancelRuns(a, ids);
    expect(result.cancelled.sort()).toEqual(running.map((r) => r.uuid).sort());
    expect(result.finished).toEqual([done.uuid]);
    expect(result.notFound).toEqual([foreign.uuid]);
    expect(result.message).toBe("2 cancelled, 1 already finished, 1 not found");
    for (const r of running) expect((await waitForRun(a, r.uuid)).status).toBe("cancelled");
    expect((await getRunDetail(a, done.uuid)).status).toBe("succeeded");
    // The other workspace's run was not touched.
    expect((await getRunDetail(b, foreign.uuid)).status).toBe("running");

    const again = await cancelRuns(a, running.map((r) => r.uuid));
    expect(again.cancelled).toEqual([]);
    expect(again.message).toBe("Nothing to cancel: 2 already finished");
    await cancelRuns(b, [foreign.uuid]);
    await waitForRun(b, foreign.uuid);
  });

  it("refuses viewers with the reason, and more than the cap", async () => {
    const run = await startRun(a, { workflow: "slow", origin: "ui" });
    const viewer: Actor = { ...a, role: "viewer" };
    const refused = await cancelRuns(viewer, [run.uuid]).catch((e) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect(refused.message).toMatch(/Viewers cannot cancel runs/);
    expect((await getRunDetail(a, run.uuid)).status).not.toBe("cancelled");

    const tooMany = Array.from({ length: MAX_BULK_RUNS + 1 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    await expect(cancelRuns(a, tooMany)).rejects.toBeInstanceOf(ValidationError);
    await expect(cancelRuns(a, [])).rejects.toBeInstanceOf(ValidationError);
    await cancelRuns(a, [run.uuid]);
    expect((await waitForRun(a, run.uuid)).status).toBe("cancelled");
  });
});

describe("bulk re-run", () => {
  it("starts each run again with the same inputs on the same version, recording the parent", async () => {
    const v1 = await startRun(a, { workflow: "echo", version: 1, inputs: { text: "one" }, origin: "api" });
    const v2 = await startRun(a, { workflow: "echo", inputs: { text: "two" }, origin: "ui" });
    await Promise.all([waitForRun(a, v1.uuid), waitForRun(a, v2.uuid)]);
    const foreign = await startRun(b, { workflow: "echo", inputs: { text: "theirs" }, origin: "ui" });
    await waitForRun(b, foreign.uuid);
    const before = await db.run.count({ where: { workspaceId: b.workspaceId } });

    const result = await rerunRuns(a, [v2.uuid, v1.uuid, foreign.uuid]);
    expect(result.message).toBe("2 re-runs started, 1 not found");
    // Oldest first, so the new runs keep the originals' order.
    expect(result.started.map((s) => s.from)).toEqual([v1.uuid, v2.uuid]);
    const [c1, c2] = await Promise.all(result.started.map((s) => waitForRun(a, s.run)));
    expect(c1).toMatchObject({ status: "succeeded", origin: "rerun", versionNumber: 1, inputs: { text: "one" }, outputs: { said: "v1:one" } });
    expect(c2).toMatchObject({ status: "succeeded", origin: "rerun", versionNumber: 2, inputs: { text: "two" }, outputs: { said: "v2:two" } });
    const parents = await db.run.findMany({ where: { uuid: { in: [v1.uuid, v2.uuid] } }, select: { id: true, uuid: true } });
    expect(c1.parentRunId).toBe(parents.find((p) => p.uuid === v1.uuid)!.id);
    expect(await db.run.count({ where: { workspaceId: b.workspaceId } })).toBe(before);
  });

  it("keeps going when one run cannot start again, and refuses viewers", async () => {
    const ok = await startRun(a, { workflow: "echo", inputs: { text: "fine" }, origin: "ui" });
    await waitForRun(a, ok.uuid);
    const gone = await startRun(a, { workflow: "slow", origin: "ui" });
    await cancelRuns(a, [gone.uuid]);
    await waitForRun(a, gone.uuid);
    await db.workflow.updateMany({ where: { workspaceId: a.workspaceId, name: "slow" }, data: { archivedAt: new Date() } });

    const result = await rerunRuns(a, [ok.uuid, gone.uuid]);
    expect(result.started.map((s) => s.from)).toEqual([ok.uuid]);
    expect(result.failed).toEqual([{ run: gone.uuid, message: expect.stringMatching(/not found/) }]);
    expect(result.message).toMatch(/^1 re-run started, 1 could not start \(.*not found\)$/);
    await waitForRun(a, result.started[0].run);

    const refused = await rerunRuns({ ...a, role: "viewer" }, [ok.uuid]).catch((e) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect(refused.message).toMatch(/Viewers cannot re-run runs/);
  });
});
