/**
 * Integration: workspace secrets on a real database — sealed at rest, never listed with
 * values, only admins/owners change them, and each workspace sees only its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { ForbiddenError, NotFoundError, ValidationError } from "./errors";
import { deleteSecret, listSecrets, readSecretValue, setSecret } from "./secrets";
import { createWorkspace } from "./workspaces";

let owner: Actor;
let other: Actor;
const as = (role: Actor["role"]): Actor => ({ ...owner, role });

const VALUE = JSON.stringify({ base_url: "https://llm.example.test/v1", api_key: "sk-very-secret-0123456789", model: "m" });

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "owner@example.test" } }),
    db.user.create({ data: { email: "other@example.test" } }),
  ]);
  owner = await createWorkspace(ua.id, { slug: "secrets-a", name: "A" });
  other = await createWorkspace(ub.id, { slug: "secrets-b", name: "B" });
});

afterAll(async () => {
  await db.$disconnect();
});

describe("secrets service", () => {
  it("stores values encrypted and reads them back for the executor", async () => {
    const saved = await setSecret(owner, "llm", VALUE);
    expect(saved.name).toBe("llm");
    expect(saved).not.toHaveProperty("value");
    expect(saved).not.toHaveProperty("ciphertext");

    const row = await db.secret.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: owner.workspaceId, name: "llm" } } });
    expect(row.ciphertext).not.toContain("sk-very-secret");
    expect(row.ciphertext).not.toContain("llm.example.test");
    expect(row.ciphertext).not.toBe(VALUE);
    expect(row.ciphertext.split(".")).toHaveLength(3);

    expect(await readSecretValue(owner.workspaceId, "llm")).toBe(VALUE);
  });

  it("replaces the value of an existing name (upsert) and reseals it", async () => {
    await setSecret(owner, "rotate.me", "first");
    const before = await db.secret.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: owner.workspaceId, name: "rotate.me" } } });
    await setSecret(as("admin"), "rotate.me", "second");
    const after = await db.secret.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: owner.workspaceId, name: "rotate.me" } } });
    expect(after.id).toBe(before.id);
    expect(after.ciphertext).not.toBe(before.ciphertext);
    expect(await readSecretValue(owner.workspaceId, "rotate.me")).toBe("second");
    expect(await db.secret.count({ where: { workspaceId: owner.workspaceId, name: "rotate.me" } })).toBe(1);
  });

  it("lists names and dates only, never values, to any member including viewers", async () => {
    await setSecret(owner, "zeta_key-1", "zzz-secret-value");
    for (const actor of [owner, as("viewer"), as("member")]) {
      const list = await listSecrets(actor);
      expect(list.map((s) => s.name)).toEqual(expect.arrayContaining(["llm", "zeta_key-1"]));
      for (const item of list) expect(Object.keys(item).sort()).toEqual(["createdAt", "name", "updatedAt"]);
      const text = JSON.stringify(list);
      expect(text).not.toContain("zzz-secret-value");
      expect(text).not.toContain("sk-very-secret");
    }
  });

  it("refuses viewers and members who try to set or delete", async () => {
    for (const role of ["viewer", "member"] as const) {
      await expect(setSecret(as(role), "llm", "hijacked")).rejects.toBeInstanceOf(ForbiddenError);
      await expect(deleteSecret(as(role), "llm")).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await readSecretValue(owner.workspaceId, "llm")).toBe(VALUE);
  });

  it("validates names and values", async () => {
    for (const bad of ["", "has space", "slash/name", "ünïcode", "x".repeat(101)]) {
      await expect(setSecret(owner, bad, "v")).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(setSecret(owner, "ok", "")).rejects.toBeInstanceOf(ValidationError);
    const error = await setSecret(owner, "a b", "v").catch((e) => e);
    expect(error.detail[0].loc).toEqual(["body", "name"]);
    expect(await readSecretValue(owner.workspaceId, "has space")).toBeNull();
  });

  it("keeps each workspace's secrets to itself", async () => {
    expect(await readSecretValue(other.workspaceId, "llm")).toBeNull();
    expect((await listSecrets(other)).map((s) => s.name)).not.toContain("llm");
    // The other workspace's owner cannot delete or overwrite A's secret either.
    await expect(deleteSecret(other, "llm")).rejects.toBeInstanceOf(NotFoundError);
    await setSecret(other, "llm", "b's own value");
    expect(await readSecretValue(other.workspaceId, "llm")).toBe("b's own value");
    expect(await readSecretValue(owner.workspaceId, "llm")).toBe(VALUE);
  });

  it("deletes a secret, and a second delete is NotFound", async () => {
    await setSecret(owner, "temp", "t");
    await deleteSecret(owner, "temp");
    expect(await readSecretValue(owner.workspaceId, "temp")).toBeNull();
    await expect(deleteSecret(owner, "temp")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("says so when a value cannot be decrypted rather than pretending it is missing", async () => {
    await db.secret.create({ data: { workspaceId: owner.workspaceId, name: "garbled", ciphertext: "AAAA.BBBB.CCCC" } });
    await expect(readSecretValue(owner.workspaceId, "garbled")).rejects.toThrow(/cannot be decrypted/);
  });
});
