/**
 * Workflow references (id, UUID or name) that are well-formed but name nothing answer "not
 * found" — including runs of digits too long to be an id, which Prisma cannot compare with an
 * integer column on SQLite (found by lib/api/fuzz.test.ts: /api/v1/workflows/<30 digits>/labels
 * was a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { createWorkflow, findWorkflow, listLabels, resolveVersion } from "./workflows";
import { createWorkspace } from "./workspaces";

let actor: Actor;
let id: number;

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "workflow-refs@example.test" } });
  actor = await createWorkspace(user.id, { slug: "workflow-refs", name: "Refs" });
  id = (await createWorkflow(actor, { name: "hello", definition: { steps: [{ id: "t", kind: "template", config: { template: "hi" } }] } })).id;
});

afterAll(() => db.$disconnect());

describe("workflow references", () => {
  it("find a workflow by id, UUID and name", async () => {
    const byName = await findWorkflow(actor, "hello");
    expect((await findWorkflow(actor, String(id))).id).toBe(id);
    expect((await findWorkflow(actor, byName.uuid)).id).toBe(id);
    expect((await findWorkflow(actor, id)).name).toBe("hello");
  });

  it.each([
    "9007199254740993", "9223372036854775808", "99999999999999999999", "523826620509739818918214853700", "1".repeat(200),
    "2147483648", "0",
  ])("a number that is no workflow's id (%s) is not found, not an error", async (ref) => {
    await expect(findWorkflow(actor, ref)).rejects.toBeInstanceOf(NotFoundError);
    await expect(resolveVersion(actor, ref)).rejects.toBeInstanceOf(NotFoundError);
    await expect(listLabels(actor, ref)).rejects.toBeInstanceOf(NotFoundError);
  });
});
