import { z } from "zod";

export const roleSchema = z.enum(["owner", "admin", "member", "viewer"]);
export type Role = z.infer<typeof roleSchema>;

/** Who is acting, in which workspace: handed to every service call. */
export interface Actor {
  workspaceId: number;
  workspaceSlug: string;
  role: Role;
  userId: string | null;
  apiKeyId: number | null;
}
