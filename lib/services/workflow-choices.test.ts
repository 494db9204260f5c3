/**
 * The run history's filter choices come from one statement per dialect; they must say what
 * the full workflow listing says, within the workspace only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { createWorkflow, listWorkflowChoices, listWorkflows, publishVersion, setLabel } from "./workflows";
import { createWorkspace } from "./workspaces";

const definition = (text: string) => ({ steps: [{ id: "t", kind: "template", config: { template: text } }] });
let a: Actor;
let b: Actor;

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "workflow-choices@example.test" } });
  a = await createWorkspace(user.id, { slug: "choices-a", name: "A" });
  b = await createWorkspace(user.id, { slug: "choices-b", name: "B" });
  await createWorkflow(a, { name: "beta", title: "Beta", definition: definition("v1"), labels: ["staging"] });
  await publishVersion(a, "beta", definition("v2"), "second", ["production"]);
  await publishVersion(a, "beta", definition("v3"), "third");
  await setLabel(a, "beta", "canary", 1);
  await createWorkflow(a, { name: "alpha", title: "Alpha", definition: definition("only") });
  const gone = await createWorkflow(a, { name: "gone", definition: definition("x"), labels: ["production"] });
  await db.workflow.update({ where: { id: gone.id }, data: { archivedAt: new Date() } });
  await createWorkflow(b, { name: "other", definition: definition("b"), labels: ["production"] });
});

afterAll(() => db.$disconnect());

describe("listWorkflowChoices", () => {
  it("lists the live workflows by name with their latest version and sorted label names", async () => {
    const choices = await listWorkflowChoices(a);
    expect(choices.map(({ name, title, latestVersion, labels }) => ({ name, title, latestVersion, labels }))).toEqual([
      { name: "alpha", title: "Alpha", latestVersion: 1, labels: [] },
      { name: "beta", title: "Beta", latestVersion: 3, labels: ["canary", "production", "staging"] },
    ]);
    for (const c of choices) expect(typeof c.id).toBe("number");
  });

  it("agrees with the full listing, and sees nothing of another workspace", async () => {
    for (const actor of [a, b]) {
      const full = (await listWorkflows(actor)).map((w) => ({
        id: w.id, name: w.name, title: w.title, latestVersion: w.latestVersion, labels: w.labels.map((l) => l.name).sort(),
      }));
      expect(await listWorkflowChoices(actor)).toEqual(full);
    }
    expect((await listWorkflowChoices(b)).map((w) => w.name)).toEqual(["other"]);
  });
});
