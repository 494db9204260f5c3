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
  /**
   * Set for an API key bound to one workflow (+ label): it may run only that workflow, and
   * routes that name no workflow (Dify's) run this one.
   */
  binding?: { workflowId: number; label: string | null } | null;
}
