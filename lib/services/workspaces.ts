/** Creating workspaces (the first member is their owner). */
import { db } from "../db/client";
import { encryptSecret } from "../security/secret-box";
import { randomToken } from "../security/tokens";
import type { Actor } from "../schemas/workspace";
import { ConflictError, ValidationError } from "./errors";

export async function createWorkspace(ownerUserId: string, input: { slug: string; name: string }): Promise<Actor> {
  if (!/^[a-z0-9][a-z0-9-]{1,39}$/.test(input.slug)) {
    throw new ValidationError([{ loc: ["body", "slug"], msg: "Use 2–40 lower-case letters, digits and '-'", type: "value_error" }]);
  }
  const name = input.name.trim();
  if (!name || name.length > 80) {
    throw new ValidationError([{ loc: ["body", "name"], msg: "Give the workspace a name (at most 80 characters)", type: "value_error" }]);
  }
  if (await db.workspace.findUnique({ where: { slug: input.slug } })) {
    throw new ConflictError(`The workspace address '${input.slug}' is taken`);
  }
  const workspace = await db.workspace.create({
    data: {
      slug: input.slug, name, signingSecret: encryptSecret(randomToken(32)),
      memberships: { create: { userId: ownerUserId, role: "owner" } },
    },
  });
  return { workspaceId: workspace.id, workspaceSlug: workspace.slug, role: "owner", userId: ownerUserId, apiKeyId: null };
}
