/** Run contracts shared by server and client: statuses, origins, stored event frames. */
import { z } from "zod";

export const runStatusSchema = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const FINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];
export const isFinalStatus = (s: string) => (FINAL_STATUSES as readonly string[]).includes(s);

export const runOriginSchema = z.enum(["ui", "api", "rerun", "datalab", "unstructured", "promptlayer", "dify", "vellum"]);
export type RunOrigin = z.infer<typeof runOriginSchema>;

/** How the console names where a run came from. */
export const ORIGIN_LABELS: Record<RunOrigin, string> = {
  ui: "Console", api: "API", rerun: "Re-run", datalab: "Datalab API", unstructured: "Unstructured API",
  promptlayer: "PromptLayer API", dify: "Dify API", vellum: "Vellum API",
};

/** One stored event as every transport sends it: the engine event plus seq and time. */
export const runEventFrameSchema = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type RunEventFrame = z.infer<typeof runEventFrameSchema>;

export const stepStatusSchema = z.enum(["pending", "running", "succeeded", "failed", "skipped", "cancelled"]);
export type StepStatus = z.infer<typeof stepStatusSchema>;
