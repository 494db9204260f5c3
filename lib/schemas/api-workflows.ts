/**
 * Workflows, versions, labels, API keys and the workspace signing secret as /api/v1 sends
 * and receives them.
 */
import { z } from "zod";
import { workflowDefinitionSchema } from "../engine/definition";
import { timestamp } from "./api-common";

export const LABEL_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const labelName = z.string().regex(LABEL_NAME_RE, "Use letters, digits, '.', '_' and '-' (max 63)");

/** The definition document as the engine validates it (see docs/workflows.md). */
export const definitionSchema = workflowDefinitionSchema.meta({
  id: "WorkflowDefinition",
  description: "inputs, steps and outputs (see docs/workflows.md); each step's config is checked against its kind",
});

export const labelSchema = z.object({ name: z.string(), version: z.number().int(), updated_at: timestamp.optional() }).meta({ id: "Label" });

export const workflowSchema = z
  .object({
    id: z.number().int(),
    uuid: z.string(),
    name: z.string(),
    title: z.string(),
    description: z.string(),
    latest_version: z.number().int().nullable(),
    labels: z.array(labelSchema),
    url: z.string(),
    runs_url: z.string(),
    created_at: timestamp.optional(),
    updated_at: timestamp,
  })
  .meta({ id: "Workflow" });
export type WorkflowDoc = z.infer<typeof workflowSchema>;

export const workflowListSchema = z.object({ data: z.array(workflowSchema) }).meta({ id: "WorkflowList" });

export const versionSchema = z
  .object({
    number: z.number().int(),
    message: z.string(),
    created_at: timestamp,
    labels: z.array(z.string()),
    definition: z.unknown().optional().meta({ description: "The stored definition (single-version answers only)" }),
  })
  .meta({ id: "WorkflowVersion" });
export const versionListSchema = z.object({ data: z.array(versionSchema) }).meta({ id: "WorkflowVersionList" });
export const labelListSchema = z.object({ data: z.array(labelSchema) }).meta({ id: "LabelList" });

export const createWorkflowBodySchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "Use lower-case letters, digits, '-' and '_' (max 63)"),
    title: z.string().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    labels: z.array(labelName).max(20).optional().meta({ description: "Labels to point at version 1" }),
    definition: definitionSchema,
  })
  .meta({
    id: "CreateWorkflowRequest",
    description: "JSON or YAML. The definition may also sit at the top level, next to name (a workflow file).",
  });

export const publishVersionBodySchema = z
  .object({
    message: z.string().max(2000).optional(),
    labels: z.array(labelName).max(20).optional().meta({ description: "Labels to move to the new version" }),
    definition: definitionSchema,
  })
  .meta({
    id: "PublishVersionRequest",
    description: "JSON or YAML. The definition may also be the whole document (inputs, steps, outputs at the top level).",
  });

export const setLabelBodySchema = z
  .object({ version: z.preprocess(
    (v) => (typeof v === "string" && /^v?\d{1,9}$/i.test(v.trim()) ? Number(v.trim().replace(/^v/i, "")) : v),
    z.number().int().positive(),
  ) })
  .meta({ id: "SetLabelRequest" });

export const labelParamSchema = labelName;

// ── API keys ────────────────────────────────────────────────────────────────────────────

export const apiKeyRoleSchema = z.enum(["admin", "member"]);

export const apiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    role: apiKeyRoleSchema,
    last4: z.string(),
    workflow: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    label: z.string().nullable(),
    created_at: timestamp,
    last_used_at: timestamp.nullable().meta({ description: "Updated at most once a minute" }),
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: "ApiKey" });
export type ApiKeyDoc = z.infer<typeof apiKeySchema>;

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().meta({ description: "The key itself: shown this once, stored only as a hash" }) })
  .meta({ id: "CreatedApiKey" });

export const apiKeyListSchema = z.object({ data: z.array(apiKeySchema) }).meta({ id: "ApiKeyList" });

export const createApiKeyBodySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: apiKeyRoleSchema.default("member").meta({ description: "admin keys may also manage keys and workflows' labels" }),
    workflow: z.string().min(1).max(200).nullish().meta({ description: "Bind the key to one workflow (id, UUID or name)" }),
    label: labelName.nullish().meta({ description: "With workflow: the label runs through this key use" }),
  })
  .meta({ id: "CreateApiKeyRequest" });

export const signingSecretSchema = z
  .object({
    secret: z.string(),
    header: z.literal("X-Flowdeck-Signature"),
    scheme: z.string(),
  })
  .meta({ id: "SigningSecret" });
