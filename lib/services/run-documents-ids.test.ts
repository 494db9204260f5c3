/**
 * Integer run ids no run can have are "not found" on both databases (found by
 * lib/api/fuzz.test.ts on PostgreSQL: the direct run-document read passed 99999999999 to an
 * int4 parameter, which PostgreSQL refuses — a 500 from PromptLayer's and Datalab's routes).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { getRunDocumentById, getRunDocumentByNumber } from "./run-documents";
import { startRunOnce } from "./runs";
import { createWorkflow } from "./workflows";
import { createWorkspace } from "./workspaces";

let actor: Actor;
let runId: number;

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "run-document-ids@example.test" } });
  actor = await createWorkspace(user.id, { slug: "run-document-ids", name: "Ids" });
  await createWorkflow(actor, { name: "hello", definition: { steps: [{ id: "t", kind: "template", config: { template: "hi" } }] } });
  const { run } = await startRunOnce(actor, { workflow: "hello", origin: "api" });
  runId = run.id;
  for (let i = 0; i < 200; i++) {
    const row = await db.run.findUnique({ where: { id: runId }, select: { status: true } });
    if (row && ["succeeded", "failed", "cancelled"].includes(row.status)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("run documents by integer id", () => {
  it("finds a run by its id", async () => {
    expect((await getRunDocumentByNumber(actor, runId)).status).toBe("succeeded");
  });

  it.each([2_147_483_648, 99_999_999_999, 999_999_999_999_999, -2_147_483_649, 0, -1])("id %d is not found, not an error", async (id) => {
    await expect(getRunDocumentByNumber(actor, id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await getRunDocumentById(id)).toBeNull();
  });
});
