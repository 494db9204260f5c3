/**
 * Integration: workspace members on a real database — who may list, change roles, remove
 * and leave; the last owner is protected; ids from another workspace are NotFound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import type { Actor, Role } from "../schemas/workspace";
import { ConflictError, ForbiddenError, NotFoundError } from "./errors";
import { changeMemberRole, leaveWorkspace, listMembers, removeMember } from "./members";
import { getActorForUser } from "./users";
import { createWorkspace } from "./workspaces";

const ROLES: Role[] = ["owner", "admin", "member", "viewer"];
let seq = 0;

/** A fresh workspace with one user per role (plus any extra owners), and the actors of each. */
async function team(extra: { owners?: number } = {}) {
  const n = ++seq;
  const mk = (tag: string) => db.user.create({ data: { email: `${tag}-${n}@example.test`, name: `${tag} ${n}` } });
  const owner = await mk("owner");
  const slug = `members-${n}`;
  await createWorkspace(owner.id, { slug, name: `Team ${n}` });
  const ws = await db.workspace.findUniqueOrThrow({ where: { slug } });
  const users: Record<Role, string> = { owner: owner.id, admin: "", member: "", viewer: "" };
  for (const role of ["admin", "member", "viewer"] as const) {
    const u = await mk(role);
    await db.membership.create({ data: { workspaceId: ws.id, userId: u.id, role } });
    users[role] = u.id;
  }
  const owners = [owner.id];
  for (let i = 0; i < (extra.owners ?? 0); i++) {
    const u = await mk(`owner${i + 2}`);
    await db.membership.create({ data: { workspaceId: ws.id, userId: u.id, role: "owner" } });
    owners.push(u.id);
  }
  const as = (userId: string) => getActorForUser(userId, slug);
  const roleOf = async (userId: string) =>
    (await db.membership.findFirst({ where: { workspaceId: ws.id, userId }, select: { role: true } }))?.role ?? null;
  return { slug, workspaceId: ws.id, users, owners, as, roleOf };
}

let outsider: { userId: string; actor: Actor };

beforeAll(async () => {
  await applyMigrations();
  const u = await db.user.create({ data: { email: "outsider@example.test" } });
  outsider = { userId: u.id, actor: await createWorkspace(u.id, { slug: "outside", name: "Outside" }) };
});

afterAll(async () => {
  await db.$disconnect();
});

describe("listing members", () => {
  it("shows every role its own workspace's members, owners first, and nobody else's", async () => {
    const t = await team();
    for (const role of ROLES) {
      const members = await listMembers(await t.as(t.users[role]));
      expect(members.map((m) => m.role)).toEqual(["owner", "admin", "member", "viewer"]);
      expect(members.map((m) => m.userId)).not.toContain(outsider.userId);
      expect(members[0]).toMatchObject({ userId: t.users.owner, email: expect.stringMatching(/^owner-/), name: expect.any(String) });
      expect(members[0].joinedAt).toBeInstanceOf(Date);
    }
    expect((await listMembers(outsider.actor)).map((m) => m.userId)).toEqual([outsider.userId]);
  });
});

describe("changing roles", () => {
  it("refuses viewers and members, and changes nothing", async () => {
    const t = await team();
    for (const role of ["viewer", "member"] as const) {
      const actor = await t.as(t.users[role]);
      await expect(changeMemberRole(actor, t.users.viewer, "admin")).rejects.toBeInstanceOf(ForbiddenError);
      await expect(changeMemberRole(actor, t.users[role], "admin")).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await t.roleOf(t.users.viewer)).toBe("viewer");
    expect(await t.roleOf(t.users.member)).toBe("member");
  });

  it("lets an admin move people between viewer, member and admin", async () => {
    const t = await team();
    const admin = await t.as(t.users.admin);
    expect(await changeMemberRole(admin, t.users.viewer, "member")).toMatchObject({ userId: t.users.viewer, role: "member" });
    expect(await changeMemberRole(admin, t.users.viewer, "admin")).toMatchObject({ role: "admin" });
    expect(await changeMemberRole(admin, t.users.member, "viewer")).toMatchObject({ role: "viewer" });
    expect(await t.roleOf(t.users.viewer)).toBe("admin");
    expect(await t.roleOf(t.users.member)).toBe("viewer");
    // Setting the same role again is a no-op, not an error.
    expect(await changeMemberRole(admin, t.users.member, "viewer")).toMatchObject({ role: "viewer" });
  });

  it("does not let an admin make or unmake owners", async () => {
    const t = await team({ owners: 1 });
    const admin = await t.as(t.users.admin);
    const refused = changeMemberRole(admin, t.users.member, "owner");
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    await expect(refused).rejects.toThrow("Only an owner can make someone owner");
    await expect(changeMemberRole(admin, t.users.admin, "owner")).rejects.toBeInstanceOf(ForbiddenError);
    await expect(changeMemberRole(admin, t.owners[1], "member")).rejects.toBeInstanceOf(ForbiddenError);
    expect(await t.roleOf(t.users.member)).toBe("member");
    expect(await t.roleOf(t.users.admin)).toBe("admin");
    expect(await t.roleOf(t.owners[1])).toBe("owner");
  });

  it("lets an owner make owners and demote other owners", async () => {
    const t = await team();
    const owner = await t.as(t.users.owner);
    expect(await changeMemberRole(owner, t.users.admin, "owner")).toMatchObject({ role: "owner" });
    expect(await changeMemberRole(owner, t.users.admin, "member")).toMatchObject({ role: "member" });
  });

  it("never demotes the last owner, not even by themself", async () => {
    const t = await team();
    const owner = await t.as(t.users.owner);
    const refused = changeMemberRole(owner, t.users.owner, "admin");
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow("at least one owner");
    expect(await t.roleOf(t.users.owner)).toBe("owner");
    // With a second owner, one of them may step down.
    await changeMemberRole(owner, t.users.admin, "owner");
    expect(await changeMemberRole(owner, t.users.owner, "admin")).toMatchObject({ role: "admin" });
    // …and the remaining one is the last again.
    const second = await t.as(t.users.admin);
    await expect(changeMemberRole(second, t.users.admin, "member")).rejects.toBeInstanceOf(ConflictError);
  });

  it("keeps one owner when two owners demote each other at the same moment", async () => {
    const t = await team({ owners: 1 });
    const [a, b] = await Promise.all([t.as(t.owners[0]), t.as(t.owners[1])]);
    const results = await Promise.allSettled([changeMemberRole(a, t.owners[1], "admin"), changeMemberRole(b, t.owners[0], "admin")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
    expect(await db.membership.count({ where: { workspaceId: t.workspaceId, role: "owner" } })).toBe(1);
  });

  it("answers NotFound for a user of another workspace or an unknown id", async () => {
    const t = await team();
    const owner = await t.as(t.users.owner);
    await expect(changeMemberRole(owner, outsider.userId, "viewer")).rejects.toBeInstanceOf(NotFoundError);
    await expect(changeMemberRole(owner, "no-such-user", "viewer")).rejects.toBeInstanceOf(NotFoundError);
    expect((await db.membership.findFirst({ where: { userId: outsider.userId } }))?.role).toBe("owner");
  });
});

describe("removing members", () => {
  it("refuses viewers and members", async () => {
    const t = await team();
    for (const role of ["viewer", "member"] as const) {
      await expect(removeMember(await t.as(t.users[role]), t.users.admin)).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await t.roleOf(t.users.admin)).toBe("admin");
  });

  it("lets an admin remove members and viewers, who lose access at once", async () => {
    const t = await team();
    const admin = await t.as(t.users.admin);
    await removeMember(admin, t.users.member);
    await removeMember(admin, t.users.viewer);
    expect(await t.roleOf(t.users.member)).toBeNull();
    await expect(t.as(t.users.member)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listMembers(admin)).map((m) => m.role)).toEqual(["owner", "admin"]);
    // Removing someone no longer there is NotFound.
    await expect(removeMember(admin, t.users.member)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("does not let an admin remove an owner; an owner may remove another owner but not the last", async () => {
    const t = await team({ owners: 1 });
    const admin = await t.as(t.users.admin);
    await expect(removeMember(admin, t.owners[1])).rejects.toThrow("Only an owner can remove an owner");
    expect(await t.roleOf(t.owners[1])).toBe("owner");
    const owner = await t.as(t.owners[0]);
    await removeMember(owner, t.owners[1]);
    expect(await t.roleOf(t.owners[1])).toBeNull();
    // Removing yourself as the last owner is leaving, and refused.
    await expect(removeMember(owner, t.owners[0])).rejects.toBeInstanceOf(ConflictError);
    expect(await t.roleOf(t.owners[0])).toBe("owner");
  });

  it("answers NotFound for a user of another workspace", async () => {
    const t = await team();
    await expect(removeMember(await t.as(t.users.owner), outsider.userId)).rejects.toBeInstanceOf(NotFoundError);
    expect(await db.membership.count({ where: { userId: outsider.userId } })).toBe(1);
  });
});

describe("leaving", () => {
  it("lets any role but the last owner leave", async () => {
    const t = await team();
    for (const role of ["viewer", "member", "admin"] as const) {
      await leaveWorkspace(await t.as(t.users[role]));
      expect(await t.roleOf(t.users[role])).toBeNull();
    }
    const refused = leaveWorkspace(await t.as(t.users.owner));
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow("You are the last owner");
    expect(await t.roleOf(t.users.owner)).toBe("owner");
  });

  it("lets an owner leave when another owner remains", async () => {
    const t = await team({ owners: 1 });
    await leaveWorkspace(await t.as(t.owners[1]));
    expect(await t.roleOf(t.owners[1])).toBeNull();
    expect(await db.membership.count({ where: { workspaceId: t.workspaceId, role: "owner" } })).toBe(1);
  });

  it("is refused to an API key (it is nobody's membership)", async () => {
    const t = await team();
    const keyActor: Actor = { ...(await t.as(t.users.owner)), userId: null, apiKeyId: 1, role: "admin" };
    await expect(leaveWorkspace(keyActor)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
