/** Every /api/v1 endpoint, in the order the reference lists them. */
import type { EndpointSpec } from "../endpoint";
import * as runs from "./runs";
import * as workflows from "./workflows";
import * as workspace from "./workspace";

export const endpoints: EndpointSpec[] = [
  runs.startRunEndpoint, runs.getRunEndpoint, runs.listRunsEndpoint, runs.runEventsEndpoint, runs.cancelRunEndpoint, runs.rerunEndpoint,
  workspace.uploadFileEndpoint, workspace.downloadFileEndpoint,
  workflows.listWorkflowsEndpoint, workflows.createWorkflowEndpoint, workflows.getWorkflowEndpoint, workflows.listVersionsEndpoint,
  workflows.publishVersionEndpoint, workflows.getVersionEndpoint, workflows.listLabelsEndpoint, workflows.setLabelEndpoint,
  workspace.listApiKeysEndpoint, workspace.createApiKeyEndpoint, workspace.revokeApiKeyEndpoint,
  workspace.getWorkspaceEndpoint, workspace.signingSecretEndpoint, workspace.openApiEndpoint,
] as unknown as EndpointSpec[];
