/** Workflow endpoints: list and read, create from JSON or YAML, publish versions, move labels. */
import { z } from "zod";
import {
  createWorkflowBodySchema, labelListSchema, labelParamSchema, labelSchema, publishVersionBodySchema, setLabelBodySchema,
  versionListSchema, versionSchema, workflowListSchema, workflowSchema,
} from "../../schemas/api-workflows";
import { defineEndpoint } from "../endpoint";

const workflowRef = z.string().max(200).meta({ description: "Workflow id, UUID or name" });
const workflowParams = z.object({ workflow: workflowRef });

/** A workflow file may carry its definition at the top level, next to name/title/…: nest it. */
function nestDefinition(meta: string[]) {
  return (raw: unknown) => {
    if (!raw || typeof raw !== "object" || Array.isArray(raw) || "definition" in raw || !("steps" in raw)) return raw;
    const rest: Record<string, unknown> = {};
    const definition: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) (meta.includes(k) ? rest : definition)[k] = v;
    return { ...rest, definition };
  };
}

const definitionBody = { formats: ["json", "yaml"] as ("json" | "yaml")[], maxBytes: 1024 * 1024 };

export const listWorkflowsEndpoint = defineEndpoint({
  method: "GET", path: "/workflows", operationId: "listWorkflows", tag: "Workflows",
  summary: "List workflows",
  responses: { 200: { description: "Every workflow of the workspace, by name", schema: workflowListSchema } },
});

export const createWorkflowEndpoint = defineEndpoint({
  method: "POST", path: "/workflows", operationId: "createWorkflow", tag: "Workflows",
  summary: "Create a workflow",
  description:
    "Creates a workflow with its first version from a JSON (application/json) or YAML (application/yaml, text/yaml) document. " +
    "Every problem in the definition is reported at once (422, one detail item each).",
  body: { schema: createWorkflowBodySchema, ...definitionBody, prepare: nestDefinition(["name", "title", "description", "labels"]) },
  responses: {
    201: { description: "The new workflow (version 1)", schema: workflowSchema },
    409: { description: "A workflow with this name exists" },
  },
});

export const getWorkflowEndpoint = defineEndpoint({
  method: "GET", path: "/workflows/{workflow}", operationId: "getWorkflow", tag: "Workflows",
  summary: "Get a workflow",
  params: workflowParams,
  responses: { 200: { description: "The workflow", schema: workflowSchema } },
});

export const listVersionsEndpoint = defineEndpoint({
  method: "GET", path: "/workflows/{workflow}/versions", operationId: "listVersions", tag: "Workflows",
  summary: "List a workflow's versions",
  params: workflowParams,
  responses: { 200: { description: "Versions, newest first, with the labels on each", schema: versionListSchema } },
});

export const publishVersionEndpoint = defineEndpoint({
  method: "POST", path: "/workflows/{workflow}/versions", operationId: "publishVersion", tag: "Workflows",
  summary: "Publish a new version",
  description: "Publishes the next immutable version (JSON or YAML), and moves the given labels to it.",
  params: workflowParams,
  body: { schema: publishVersionBodySchema, ...definitionBody, prepare: nestDefinition(["message", "labels"]) },
  responses: { 201: { description: "The new version", schema: versionSchema } },
});

export const getVersionEndpoint = defineEndpoint({
  method: "GET", path: "/workflows/{workflow}/versions/{version}", operationId: "getVersion", tag: "Workflows",
  summary: "Get one version with its definition",
  params: z.object({
    workflow: workflowRef,
    version: z.string().regex(/^v?\d{1,9}$/i, "A version number such as 3 or v3").transform((v) => Number(v.replace(/^v/i, ""))),
  }),
  responses: { 200: { description: "The version and its definition", schema: versionSchema } },
});

export const listLabelsEndpoint = defineEndpoint({
  method: "GET", path: "/workflows/{workflow}/labels", operationId: "listLabels", tag: "Workflows",
  summary: "List a workflow's labels",
  params: workflowParams,
  responses: { 200: { description: "Labels and the version each points at", schema: labelListSchema } },
});

export const setLabelEndpoint = defineEndpoint({
  method: "PUT", path: "/workflows/{workflow}/labels/{label}", operationId: "setLabel", tag: "Workflows",
  summary: "Point a label at a version",
  description: "Creates the label or moves it; the move is recorded.",
  params: z.object({ workflow: workflowRef, label: labelParamSchema }),
  body: { schema: setLabelBodySchema },
  responses: { 200: { description: "The label", schema: labelSchema } },
});
