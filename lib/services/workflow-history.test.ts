/**
 * Integration: a workflow's history on a real database — versions with their authors, label
 * moves recorded with who (user email or API key name), when and from which version, and
 * nothing visible across workspaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { ForbiddenError, NotFoundError } from "./errors";
import { listLabelMoves, listVersionEntries } from "./workflow-history";
import { createWorkflow, publishVersion, setLabel } from "./workflows";
import { createWorkspace } from "./workspaces";

let owner: Actor;
let stranger: Actor;
let keyActor: Actor;

const definition = (text: string) => ({ steps: [{ id: "say", kind: "template", config: { template: text } }] });

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "editor@example.test", name: "Editor" } }),
    db.user.create({ data: { email: "stranger@example.test" } }),
  ]);
  owner = await createWorkspace(ua.id, { slug: "history-a", name: "A" });
  stranger = await createWorkspace(ub.id, { slug: "history-b", name: "B" });
  const key = await db.apiKey.create({
    data: { workspaceId: owner.workspaceId, name: "Deploy bot", keyHash: "hash-history-test", last4: "abcd", role: "admin" },
  });
  keyActor = { workspaceId: owner.workspaceId, workspaceSlug: owner.workspaceSlug, role: "admin", userId: null, apiKeyId: key.id };
});

afterAll(async () => {
  await db.$disconnect();
});

describe("workflow history", () => {
  it("lists versions newest first with message, labels and who published them", async () => {
    await createWorkflow(owner, { name: "hist", definition: definition("one"), message: "First cut" });
    await publishVersion(owner, "hist", definition("two"), "Second");
    await publishVersion(keyActor, "hist", definition("three"), "From CI");
    await setLabel(owner, "hist", "production", 2);

    const versions = await listVersionEntries(owner, "hist");
    expect(versions.map((v) => [v.number, v.message])).toEqual([[3, "From CI"], [2, "Second"], [1, "First cut"]]);
    expect(versions[1].labels).toEqual(["production"]);
    expect(versions[2].by).toEqual({ kind: "user", email: "editor@example.test", name: "Editor" });
    expect(versions[0].by).toEqual({ kind: "unknown" });
  });

  it("records each label move with from, to, when and who — a user or an API key", async () => {
    const before = Date.now();
    await setLabel(keyActor, "hist", "production", 3);
    await setLabel(owner, "hist", "staging", 1);
    await setLabel(owner, "hist", "production", 1);

    const moves = await listLabelMoves(owner, "hist");
    expect(moves.map((m) => [m.label, m.fromVersion, m.toVersion])).toEqual([
      ["production", 3, 1],
      ["staging", null, 1],
      ["production", 2, 3],
      ["production", null, 2],
    ]);
    expect(moves[0].by).toEqual({ kind: "user", email: "editor@example.test", name: "Editor" });
    expect(moves[2].by).toEqual({ kind: "api_key", name: "Deploy bot" });
    expect(moves[0].movedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const row = await db.labelMove.findFirstOrThrow({ where: { id: moves[2].id } });
    expect(row).toMatchObject({ movedById: null, movedByApiKeyId: keyActor.apiKeyId });

    const production = await listLabelMoves(owner, "hist", { label: "production", limit: 2 });
    expect(production.map((m) => [m.fromVersion, m.toVersion])).toEqual([[3, 1], [2, 3]]);
  });

  it("lets viewers read the history but not move labels", async () => {
    const viewer = { ...owner, role: "viewer" as const };
    expect(await listLabelMoves(viewer, "hist")).toHaveLength(4);
    await expect(setLabel(viewer, "hist", "production", 2)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(publishVersion(viewer, "hist", definition("four"))).rejects.toThrow("Your role (viewer) cannot do this");
    expect(await listLabelMoves(owner, "hist")).toHaveLength(4);
    expect(await listVersionEntries(owner, "hist")).toHaveLength(3);
  });

  it("answers another workspace's workflow as not found", async () => {
    await expect(listLabelMoves(stranger, "hist")).rejects.toBeInstanceOf(NotFoundError);
    await expect(listVersionEntries(stranger, "hist")).rejects.toBeInstanceOf(NotFoundError);
  });
});
