/**
 * Integration (real database, in-process executor): re-run lineage for the run page — the
 * re-runs of a run, the parent of a re-run, the steps a re-run from a step kept, and the
 * preview of what a re-run from each step would keep, checked against real re-runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool, workflowDefinitionSchema } from "../engine";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { getRunDocument } from "./run-documents";
import { getRunLineage, listRerunsOfRun, listReusedSteps, previewRerunReuse, stepsRerunFrom } from "./run-lineage";
import { findRunId, rerunRun, startRun } from "./runs";
import { createWorkflow, getDefinitionOfVersion } from "./workflows";
import { createWorkspace } from "./workspaces";

let a: Actor;
let b: Actor;

/** first → second → third, and `side` that needs only first: steps say when they ran. */
const diamond = {
  inputs: [{ name: "word", type: "text", default: "x" }],
  steps: [
    { id: "first", kind: "code", config: { code: "return { word: inputs.word, at: Date.now() + Math.random() };" } },
    { id: "second", kind: "code", config: { code: "return { seen: steps.first.output.word, at: Date.now() + Math.random() };" } },
    { id: "side", kind: "code", config: { code: "return { side: steps.first.output.at, at: Date.now() + Math.random() };" } },
    { id: "third", kind: "transform", config: { expression: "{ 'second': steps.second.output.at, 'side': steps.side.output.at }" } },
  ],
  outputs: { result: "{{ steps.third.output }}" },
};

async function finished(actor: Actor, uuid: string) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDocument(actor, uuid, { stepOutputs: true });
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`run ${uuid} did not finish`);
}

async function runRow(actor: Actor, uuid: string) {
  const { id } = await findRunId(actor, uuid);
  return db.run.findUniqueOrThrow({ where: { id }, select: { id: true, parentRunId: true, rerunFromStep: true, versionId: true } });
}

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "lineage-a@example.test" } }),
    db.user.create({ data: { email: "lineage-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "lineage-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "lineage-b", name: "B" });
  for (const actor of [a, b]) await createWorkflow(actor, { name: "diamond", definition: diamond });
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("stepsRerunFrom", () => {
  it("is the step and everything downstream of it", () => {
    const def = workflowDefinitionSchema.parse(diamond);
    expect([...stepsRerunFrom(def, "second")].sort()).toEqual(["second", "third"]);
    expect([...stepsRerunFrom(def, "first")].sort()).toEqual(["first", "second", "side", "third"]);
    expect([...stepsRerunFrom(def, "third")]).toEqual(["third"]);
  });
});

describe("lineage", () => {
  it("lists a run's re-runs newest first, and each re-run names its parent", async () => {
    const original = await startRun(a, { workflow: "diamond", inputs: { word: "one" }, origin: "api" });
    await finished(a, original.uuid);
    const first = await rerunRun(a, original.uuid, {});
    const second = await rerunRun(a, original.uuid, { inputs: { word: "two" }, fromStep: "second" });
    await Promise.all([finished(a, first.run.uuid), finished(a, second.run.uuid)]);
    // A re-run of the re-run is the child's child, not the original's.
    const grandchild = await rerunRun(a, second.run.uuid, {});
    await finished(a, grandchild.run.uuid);

    const parentRow = await runRow(a, original.uuid);
    const listed = await listRerunsOfRun(a, parentRow.id);
    expect(listed.total).toBe(2);
    expect(listed.runs.map((r) => r.uuid)).toEqual([second.run.uuid, first.run.uuid]);
    expect(listed.runs[0]).toMatchObject({ status: "succeeded", rerunFromStep: "second", versionNumber: 1 });
    expect((await listRerunsOfRun(a, parentRow.id, 1)).runs.map((r) => r.uuid)).toEqual([second.run.uuid]);

    const ofParent = await getRunLineage(a, parentRow);
    expect(ofParent.parent).toBeNull();
    expect(ofParent.rerunCount).toBe(2);

    const ofChild = await getRunLineage(a, await runRow(a, second.run.uuid));
    expect(ofChild.parent?.uuid).toBe(original.uuid);
    expect(ofChild.reruns.map((r) => r.uuid)).toEqual([grandchild.run.uuid]);

    // Viewers read lineage too; another workspace gets nothing for the same ids.
    const viewer: Actor = { ...a, role: "viewer" };
    expect((await listRerunsOfRun(viewer, parentRow.id)).total).toBe(2);
    expect(await listRerunsOfRun(b, parentRow.id)).toEqual({ runs: [], total: 0 });
    const foreign = await getRunLineage(b, await runRow(a, second.run.uuid));
    expect(foreign.parent).toBeNull();
    expect(foreign.reruns).toEqual([]);
  });
});

describe("reused steps", () => {
  it("names the steps a re-run from a step kept, with the parent's outputs", async () => {
    const original = await startRun(a, { workflow: "diamond", inputs: { word: "alpha" }, origin: "api" });
    const parent = await finished(a, original.uuid);
    const again = await rerunRun(a, original.uuid, { fromStep: "second" });
    const child = await finished(a, again.run.uuid);
    expect(child.status).toBe("succeeded");

    const row = await runRow(a, again.run.uuid);
    const definition = await getDefinitionOfVersion(row.versionId);
    const reused = await listReusedSteps(a, row, definition);
    expect(reused.map((s) => s.stepId).sort()).toEqual(["first", "side"]);
    const outputs = parent.step_outputs as Record<string, unknown>;
    for (const step of reused) expect(step.output).toEqual(outputs[step.stepId]);
    expect(reused.every((s) => s.durationMs == null || s.durationMs >= 0)).toBe(true);
    // The steps that ran again are not reported as reused.
    expect((child.step_outputs as Record<string, { at: number }>).second.at).not.toBe((outputs.second as { at: number }).at);

    // A plain re-run and an original run reused nothing.
    const plain = await rerunRun(a, original.uuid, {});
    await finished(a, plain.run.uuid);
    expect(await listReusedSteps(a, await runRow(a, plain.run.uuid), definition)).toEqual([]);
    expect(await listReusedSteps(a, await runRow(a, original.uuid), definition)).toEqual([]);
    // Another workspace cannot read them through a's run id.
    expect(await listReusedSteps(b, row, definition)).toEqual([]);
  });

  it("previews, per step, exactly what a real re-run from that step keeps", async () => {
    const original = await startRun(a, { workflow: "diamond", origin: "api" });
    await finished(a, original.uuid);
    const definition = await getDefinitionOfVersion((await runRow(a, original.uuid)).versionId);
    const preview = await previewRerunReuse(a, original.uuid, definition);
    expect(preview).toEqual({ first: [], second: ["first", "side"], side: ["first", "second"], third: ["first", "second", "side"] });
    for (const step of definition.steps) {
      const again = await rerunRun(a, original.uuid, { fromStep: step.id });
      await finished(a, again.run.uuid);
      const kept = await listReusedSteps(a, await runRow(a, again.run.uuid), definition);
      expect(kept.map((s) => s.stepId).sort()).toEqual([...preview[step.id]].sort());
    }
    await expect(previewRerunReuse(b, original.uuid, definition)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("keeps nothing from a parent step that failed", async () => {
    await createWorkflow(a, {
      name: "flaky",
      definition: {
        inputs: [{ name: "fail", type: "boolean", default: false }],
        steps: [
          { id: "maybe", kind: "code", config: { code: "if (inputs.fail) throw new Error('asked to fail'); return 1;" } },
          { id: "after", kind: "code", config: { code: "return steps.maybe.output + 1;" } },
        ],
        outputs: { n: "{{ steps.after.output }}" },
      },
    });
    const original = await startRun(a, { workflow: "flaky", inputs: { fail: true }, origin: "api" });
    expect((await finished(a, original.uuid)).status).toBe("failed");
    const definition = await getDefinitionOfVersion((await runRow(a, original.uuid)).versionId);
    expect(await previewRerunReuse(a, original.uuid, definition)).toEqual({ maybe: [], after: [] });
    const again = await rerunRun(a, original.uuid, { fromStep: "after", inputs: { fail: false } });
    const child = await finished(a, again.run.uuid);
    // "maybe" was not kept (it had failed), so it ran again here and the run now succeeds.
    expect(child.status).toBe("succeeded");
    expect(await listReusedSteps(a, await runRow(a, again.run.uuid), definition)).toEqual([]);
  });
});
