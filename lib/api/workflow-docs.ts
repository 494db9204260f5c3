/** Workflows, versions, labels and API keys in the API's documented shapes (snake_case). */
import type { ApiKeyDoc, WorkflowDoc } from "../schemas/api-workflows";
import type { ApiKeyInfo } from "../services/api-keys";
import type { WorkflowSummary } from "../services/workflows";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toWorkflowDoc(w: WorkflowSummary): WorkflowDoc {
  const url = `/api/v1/workflows/${w.name}`;
  return {
    id: w.id, uuid: w.uuid, name: w.name, title: w.title, description: w.description, latest_version: w.latestVersion,
    labels: w.labels.map(toLabelDoc), url, runs_url: `${url}/runs`,
    created_at: w.createdAt.toISOString(), updated_at: w.updatedAt.toISOString(),
  };
}

export function toLabelDoc(l: { name: string; version: number; updatedAt?: Date }) {
  return { name: l.name, version: l.version, ...(l.updatedAt ? { updated_at: l.updatedAt.toISOString() } : {}) };
}

export function toVersionDoc(v: { number: number; message: string; createdAt: Date; labels: string[]; definition?: unknown }) {
  return {
    number: v.number, message: v.message, created_at: v.createdAt.toISOString(), labels: v.labels,
    ...(v.definition !== undefined ? { definition: v.definition } : {}),
  };
}

export function toApiKeyDoc(k: ApiKeyInfo): ApiKeyDoc {
  return {
    id: k.id, name: k.name, role: k.role, last4: k.last4, workflow: k.workflow, label: k.label,
    created_at: k.createdAt.toISOString(), last_used_at: iso(k.lastUsedAt), revoked_at: iso(k.revokedAt),
  };
}
