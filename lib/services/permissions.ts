/** Role rules, in one place: what each role may do in a workspace. */
import type { Actor, Role } from "../schemas/workspace";
import { ForbiddenError } from "./errors";

export type Permission = "read" | "run" | "edit" | "manage";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const NEEDS: Record<Permission, Role> = { read: "viewer", run: "member", edit: "member", manage: "admin" };

export function can(role: Role, permission: Permission): boolean {
  return RANK[role] >= RANK[NEEDS[permission]];
}

export function assertCan(actor: Actor, permission: Permission): void {
  if (!can(actor.role, permission)) {
    throw new ForbiddenError(
      permission === "run"
        ? "Viewers cannot start runs; ask an admin for the member role"
        : `Your role (${actor.role}) cannot do this`,
    );
  }
}
