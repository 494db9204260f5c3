/**
 * Integration: invitations by link on a real database — who may invite with which role,
 * the token stored only as a hash, single use, expiry, revoke, the optional email, and
 * that nothing crosses workspaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { sha256Hex } from "../security/tokens";
import type { Actor, Role } from "../schemas/workspace";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "./errors";
import {
  acceptInvitation, createInvitation, InvitationUnavailableError, listInvitations, previewInvitation, revokeInvitation,
} from "./invitations";
import { getActorForUser } from "./users";
import { createWorkspace } from "./workspaces";

const actors = {} as Record<Role, Actor>;
let other: Actor;
let n = 0;

async function newUser(email = `joiner-${++n}@example.test`) {
  return db.user.create({ data: { email } });
}

async function membershipRole(actor: Actor, userId: string) {
  return (await db.membership.findFirst({ where: { workspaceId: actor.workspaceId, userId }, select: { role: true } }))?.role ?? null;
}

beforeAll(async () => {
  await applyMigrations();
  const owner = await newUser("owner@example.test");
  actors.owner = await createWorkspace(owner.id, { slug: "invite-a", name: "Team A" });
  for (const role of ["admin", "member", "viewer"] as const) {
    const u = await newUser(`${role}@example.test`);
    await db.membership.create({ data: { workspaceId: actors.owner.workspaceId, userId: u.id, role } });
    actors[role] = await getActorForUser(u.id, "invite-a");
  }
  other = await createWorkspace((await newUser("other-owner@example.test")).id, { slug: "invite-b", name: "Team B" });
});

afterAll(async () => {
  await db.$disconnect();
});

describe("creating invitations", () => {
  it("is refused to viewers and members, whatever the role asked", async () => {
    const before = await db.invitation.count();
    for (const actor of [actors.viewer, actors.member]) {
      for (const role of ["viewer", "member", "admin", "owner"] as const) {
        await expect(createInvitation(actor, { role })).rejects.toBeInstanceOf(ForbiddenError);
      }
    }
    expect(await db.invitation.count()).toBe(before);
  });

  it("lets an admin invite viewers, members and admins but not owners; an owner may invite owners", async () => {
    for (const role of ["viewer", "member", "admin"] as const) {
      expect(await createInvitation(actors.admin, { role })).toMatchObject({ role, state: "pending" });
    }
    const refused = createInvitation(actors.admin, { role: "owner" });
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    await expect(refused).rejects.toThrow("Only an owner can invite owners");
    expect(await createInvitation(actors.owner, { role: "owner" })).toMatchObject({ role: "owner", state: "pending" });
  });

  it("stores only the token's hash, shows the token once, and expires in 7 days by default", async () => {
    const created = await createInvitation(actors.admin, { role: "member", email: " Someone@Example.TEST " });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes = 192 bits
    expect(created.path).toBe(`/invite/${created.token}`);
    expect(created.email).toBe("someone@example.test");
    expect(created.createdBy).toBe("admin@example.test");
    const row = await db.invitation.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(sha256Hex(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const days = (row.expiresAt.getTime() - row.createdAt.getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
    // The list never carries the token or its hash.
    const listed = JSON.stringify(await listInvitations(actors.admin));
    expect(listed).not.toContain(created.token);
    expect(listed).not.toContain(row.tokenHash);
    // Two invitations never share a token.
    const second = await createInvitation(actors.admin, { role: "member" });
    expect(second.token).not.toBe(created.token);
  });

  it("takes a custom expiry in days and refuses nonsense", async () => {
    const created = await createInvitation(actors.owner, { role: "viewer", expiresInDays: 1 });
    expect(created.expiresAt.getTime() - Date.now()).toBeGreaterThan(86_000_000);
    expect(created.expiresAt.getTime() - Date.now()).toBeLessThan(86_500_000);
    for (const expiresInDays of [0, -1, 1.5, 1000]) {
      await expect(createInvitation(actors.owner, { role: "viewer", expiresInDays })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(createInvitation(actors.owner, { role: "viewer", email: "not an email" })).rejects.toBeInstanceOf(ValidationError);
    await expect(createInvitation(actors.owner, { role: "superuser" as Role })).rejects.toThrow();
  });
});

describe("listing and revoking", () => {
  it("lists only the workspace's own invitations, to admins and owners only", async () => {
    const mine = await createInvitation(actors.admin, { role: "viewer" });
    const theirs = await createInvitation(other, { role: "viewer" });
    for (const actor of [actors.admin, actors.owner]) {
      const ids = (await listInvitations(actor)).map((i) => i.id);
      expect(ids).toContain(mine.id);
      expect(ids).not.toContain(theirs.id);
    }
    for (const actor of [actors.viewer, actors.member]) {
      await expect(listInvitations(actor)).rejects.toBeInstanceOf(ForbiddenError);
    }
  });

  it("revokes: the link stops working; viewers and members cannot; a foreign id is NotFound", async () => {
    const created = await createInvitation(actors.admin, { role: "member" });
    for (const actor of [actors.viewer, actors.member]) {
      await expect(revokeInvitation(actor, created.id)).rejects.toBeInstanceOf(ForbiddenError);
    }
    await expect(revokeInvitation(other, created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeInvitation(actors.admin, 999_999)).rejects.toBeInstanceOf(NotFoundError);
    expect((await db.invitation.findUniqueOrThrow({ where: { id: created.id } })).revokedAt).toBeNull();

    const revoked = await revokeInvitation(actors.admin, created.id);
    expect(revoked.state).toBe("revoked");
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    // Revoking again changes nothing.
    expect((await revokeInvitation(actors.owner, created.id)).revokedAt).toEqual(revoked.revokedAt);

    const joiner = await newUser();
    const refused = acceptInvitation(joiner.id, created.token);
    await expect(refused).rejects.toBeInstanceOf(InvitationUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: "invitation_revoked", message: expect.stringContaining("revoked") });
    expect(await membershipRole(actors.owner, joiner.id)).toBeNull();
    expect((await previewInvitation(created.token, joiner.id)).state).toBe("revoked");
  });

  it("cannot revoke an invitation that was already used", async () => {
    const created = await createInvitation(actors.admin, { role: "viewer" });
    await acceptInvitation((await newUser()).id, created.token);
    await expect(revokeInvitation(actors.admin, created.id)).rejects.toBeInstanceOf(ConflictError);
    expect((await listInvitations(actors.admin)).find((i) => i.id === created.id)?.state).toBe("used");
  });
});

describe("accepting", () => {
  it("joins the workspace with the invitation's role, once", async () => {
    const created = await createInvitation(actors.admin, { role: "viewer" });
    const joiner = await newUser();
    const preview = await previewInvitation(created.token, joiner.id);
    expect(preview).toMatchObject({ state: "pending", role: "viewer", workspace: { name: "Team A", slug: "invite-a" }, currentRole: null });

    expect(await acceptInvitation(joiner.id, created.token)).toEqual({
      workspace: { name: "Team A", slug: "invite-a" }, role: "viewer", alreadyMember: false,
    });
    expect(await membershipRole(actors.owner, joiner.id)).toBe("viewer");
    const actor = await getActorForUser(joiner.id, "invite-a");
    expect(actor.role).toBe("viewer");
    const row = await db.invitation.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.usedById).toBe(joiner.id);
    expect(row.usedAt).toBeInstanceOf(Date);
    expect((await listInvitations(actors.admin)).find((i) => i.id === created.id)).toMatchObject({ state: "used", usedBy: joiner.email });
    expect((await previewInvitation(created.token, joiner.id)).currentRole).toBe("viewer");
    // Opening it again (a double click) just says they are in.
    expect(await acceptInvitation(joiner.id, created.token)).toMatchObject({ role: "viewer", alreadyMember: true });

    // Single use: a second person is refused, and gets no membership.
    const late = await newUser();
    const refused = acceptInvitation(late.id, created.token);
    await expect(refused).rejects.toMatchObject({ code: "invitation_used", message: expect.stringContaining("already been used") });
    expect(await membershipRole(actors.owner, late.id)).toBeNull();
  });

  it("lets exactly one of two people who use the link at the same moment in", async () => {
    const created = await createInvitation(actors.admin, { role: "member" });
    const [x, y] = [await newUser(), await newUser()];
    const results = await Promise.allSettled([acceptInvitation(x.id, created.token), acceptInvitation(y.id, created.token)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const members = await db.membership.count({ where: { workspaceId: actors.owner.workspaceId, userId: { in: [x.id, y.id] } } });
    expect(members).toBe(1);
  });

  it("refuses an expired link and adds nobody", async () => {
    const created = await createInvitation(actors.admin, { role: "member" });
    await db.invitation.update({ where: { id: created.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const joiner = await newUser();
    const refused = acceptInvitation(joiner.id, created.token);
    await expect(refused).rejects.toMatchObject({ code: "invitation_expired", message: expect.stringContaining("expired") });
    expect(await membershipRole(actors.owner, joiner.id)).toBeNull();
    expect((await previewInvitation(created.token, null)).state).toBe("expired");
    expect((await listInvitations(actors.admin)).find((i) => i.id === created.id)?.state).toBe("expired");
  });

  it("answers NotFound for an unknown or malformed token", async () => {
    const joiner = await newUser();
    for (const token of ["A".repeat(32), "short", "../../etc", ""]) {
      await expect(acceptInvitation(joiner.id, token)).rejects.toBeInstanceOf(NotFoundError);
      await expect(previewInvitation(token, joiner.id)).rejects.toBeInstanceOf(NotFoundError);
    }
    // The hash itself is not a token.
    const created = await createInvitation(actors.admin, { role: "viewer" });
    await expect(acceptInvitation(joiner.id, sha256Hex(created.token))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("with an email, lets in only that person (case does not matter)", async () => {
    const created = await createInvitation(actors.admin, { role: "member", email: "Invited.Person@example.test" });
    const stranger = await newUser();
    const refused = acceptInvitation(stranger.id, created.token);
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    await expect(refused).rejects.toThrow("This invitation is for invited.person@example.test");
    expect(await membershipRole(actors.owner, stranger.id)).toBeNull();
    const invited = await newUser("INVITED.person@example.test");
    expect((await acceptInvitation(invited.id, created.token)).role).toBe("member");
  });

  it("leaves a member's role and the link alone when they open it again", async () => {
    const created = await createInvitation(actors.owner, { role: "admin" });
    const viewer = await db.user.findUniqueOrThrow({ where: { email: "viewer@example.test" } });
    expect(await acceptInvitation(viewer.id, created.token)).toMatchObject({ role: "viewer", alreadyMember: true });
    expect(await membershipRole(actors.owner, viewer.id)).toBe("viewer");
    expect((await db.invitation.findUniqueOrThrow({ where: { id: created.id } })).usedAt).toBeNull();
  });

  it("joins the invitation's own workspace only, whoever created it", async () => {
    const created = await createInvitation(other, { role: "member" });
    const joiner = await newUser();
    expect((await acceptInvitation(joiner.id, created.token)).workspace.slug).toBe("invite-b");
    expect(await membershipRole(other, joiner.id)).toBe("member");
    expect(await membershipRole(actors.owner, joiner.id)).toBeNull();
  });
});
