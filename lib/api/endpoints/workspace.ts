/** API keys, the workspace and its signing secret, file uploads, and this document. */
import { z } from "zod";
import { apiKeyListSchema, apiKeySchema, createApiKeyBodySchema, createdApiKeySchema, signingSecretSchema } from "../../schemas/api-workflows";
import { defineEndpoint } from "../endpoint";

export const listApiKeysEndpoint = defineEndpoint({
  method: "GET", path: "/api-keys", operationId: "listApiKeys", tag: "API keys",
  summary: "List API keys",
  description: "Needs an admin key (or an admin's session). Keys are never shown again, only their last 4 characters.",
  responses: { 200: { description: "The workspace's keys, newest first", schema: apiKeyListSchema } },
});

export const createApiKeyEndpoint = defineEndpoint({
  method: "POST", path: "/api-keys", operationId: "createApiKey", tag: "API keys",
  summary: "Create an API key",
  description: "Needs an admin key. The answer holds the key itself, the only time it is shown; it is stored as a hash.",
  body: { schema: createApiKeyBodySchema },
  responses: { 201: { description: "The new key, with `key`", schema: createdApiKeySchema } },
});

export const revokeApiKeyEndpoint = defineEndpoint({
  method: "DELETE", path: "/api-keys/{key}", operationId: "revokeApiKey", tag: "API keys",
  summary: "Revoke an API key",
  description: "Requests with the key answer 401 from now on.",
  params: z.object({ key: z.string().regex(/^\d{1,12}$/, "An API key id").transform(Number) }),
  responses: { 200: { description: "The revoked key", schema: apiKeySchema } },
});

export const workspaceSchema = z
  .object({ id: z.number().int(), slug: z.string(), role: z.string(), api_key_id: z.number().int().nullable() })
  .meta({ id: "WorkspaceIdentity" });

export const getWorkspaceEndpoint = defineEndpoint({
  method: "GET", path: "/workspace", operationId: "getWorkspace", tag: "Workspace",
  summary: "The caller's workspace and role",
  responses: { 200: { description: "Who the credentials act as", schema: workspaceSchema } },
});

export const signingSecretEndpoint = defineEndpoint({
  method: "GET", path: "/workspace/signing-secret", operationId: "getSigningSecret", tag: "Workspace",
  summary: "The callback signing secret",
  description: "Needs an admin key. Use it to verify X-Flowdeck-Signature on callbacks.",
  responses: { 200: { description: "The secret and how it is used", schema: signingSecretSchema } },
});

export const storedFileSchema = z
  .object({ id: z.string(), name: z.string(), size: z.number().int(), mime_type: z.string() })
  .meta({ id: "StoredFile" });

export const uploadFileEndpoint = defineEndpoint({
  method: "POST", path: "/files", operationId: "uploadFile", tag: "Files",
  summary: "Upload a file",
  description: "multipart/form-data with the file in a field named `file`. Pass the returned id as a file input of a run.",
  body: {
    schema: z.object({ file: z.string().meta({ format: "binary", description: "The file" }) }),
    formats: ["multipart"],
  },
  responses: { 201: { description: "The stored file", schema: storedFileSchema } },
});

export const downloadFileEndpoint = defineEndpoint({
  method: "GET", path: "/files/{file}", operationId: "downloadFile", tag: "Files",
  summary: "Download a file",
  description:
    "The bytes of a stored file of the workspace (an upload, a file fetched from a URL for a run, or a run's file output), " +
    "always as an attachment. A file of another workspace answers 404 like an unknown one.",
  params: z.object({ file: z.string().uuid("A file id (UUID)").meta({ description: "The file's id" }) }),
  responses: {
    200: {
      description: "The file's bytes, with its type and name",
      contentType: "application/octet-stream",
      headers: { "Content-Disposition": "attachment; filename*=UTF-8''<name>", "Content-Type": "The file's stored MIME type" },
    },
  },
});

export const openApiEndpoint = defineEndpoint({
  method: "GET", path: "/openapi.json", operationId: "getOpenApi", tag: "Meta",
  summary: "This OpenAPI 3.1 document",
  auth: false,
  responses: { 200: { description: "OpenAPI 3.1 (generated from the schemas the handlers validate with)" } },
});
