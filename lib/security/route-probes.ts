/**
 * For the security tests: one well-formed request per authenticated route (every route file
 * and method that needs credentials), aimed at a tenant's objects, with the credential put
 * where that route's clients put it. Used to prove that a credential that must not work (a
 * revoked key, a share token, nothing at all) gets each route's own 401.
 */
import { expect } from "vitest";
import type { Answer, CallInit } from "./http-kit";
import type { Tenant } from "./tenants";

export type Product = "flowdeck" | "dify" | "vellum" | "datalab" | "unstructured" | "promptlayer";

/** Routes that take no credentials at all (each has its own tests). */
export const PUBLIC_ROUTES: Record<string, string> = {
  "GET /api/health": "liveness",
  "GET /api/auth/[...nextauth]": "Auth.js",
  "POST /api/auth/[...nextauth]": "Auth.js",
  "GET /api/v1/openapi.json": "the public API document",
  "GET /api/share/[token]/events": "the share token in the path is the permission",
};

export interface AuthProbe {
  product: Product;
  method: string;
  path: string;
  body?: () => BodyInit;
  contentType?: string;
}

const jsonBody = (value: unknown) => () => JSON.stringify(value);
const multipart = () => () => {
  const form = new FormData();
  form.append("file", new Blob(["x"], { type: "text/plain" }), "x.txt");
  return form;
};

/** A request for every authenticated route, aimed at `t`'s objects. */
export function authProbes(t: Tenant): Record<string, AuthProbe> {
  const fd = (method: string, path: string, body?: unknown): AuthProbe =>
    ({ product: "flowdeck", method, path, ...(body !== undefined && { body: jsonBody(body), contentType: "application/json" }) });
  return {
    "GET /api/v1/workflows": fd("GET", "/api/v1/workflows"),
    "POST /api/v1/workflows": fd("POST", "/api/v1/workflows", { name: "x", definition: { steps: [{ id: "s", kind: "template", config: { template: "x" } }] } }),
    "GET /api/v1/workflows/[workflow]": fd("GET", `/api/v1/workflows/${t.flow.id}`),
    "GET /api/v1/workflows/[workflow]/versions": fd("GET", `/api/v1/workflows/${t.flow.id}/versions`),
    "POST /api/v1/workflows/[workflow]/versions": fd("POST", `/api/v1/workflows/${t.flow.id}/versions`, { definition: { steps: [{ id: "s", kind: "template", config: { template: "x" } }] } }),
    "GET /api/v1/workflows/[workflow]/versions/[version]": fd("GET", `/api/v1/workflows/${t.flow.id}/versions/1`),
    "GET /api/v1/workflows/[workflow]/labels": fd("GET", `/api/v1/workflows/${t.flow.id}/labels`),
    "PUT /api/v1/workflows/[workflow]/labels/[label]": fd("PUT", `/api/v1/workflows/${t.flow.id}/labels/production`, { version: 1 }),
    "POST /api/v1/workflows/[workflow]/runs": fd("POST", `/api/v1/workflows/${t.flow.id}/runs`, {}),
    "GET /api/v1/runs": fd("GET", "/api/v1/runs"),
    "GET /api/v1/runs/[run]": fd("GET", `/api/v1/runs/${t.run.uuid}`),
    "GET /api/v1/runs/[run]/events": fd("GET", `/api/v1/runs/${t.run.uuid}/events`),
    "POST /api/v1/runs/[run]/cancel": fd("POST", `/api/v1/runs/${t.run.uuid}/cancel`),
    "POST /api/v1/runs/[run]/rerun": fd("POST", `/api/v1/runs/${t.run.uuid}/rerun`, {}),
    "POST /api/v1/files": { product: "flowdeck", method: "POST", path: "/api/v1/files", body: multipart() },
    "GET /api/v1/files/[file]": fd("GET", `/api/v1/files/${t.file.id}`),
    "GET /api/v1/api-keys": fd("GET", "/api/v1/api-keys"),
    "POST /api/v1/api-keys": fd("POST", "/api/v1/api-keys", { name: "x" }),
    "DELETE /api/v1/api-keys/[key]": fd("DELETE", `/api/v1/api-keys/${t.spareKeyId}`),
    "GET /api/v1/workspace": fd("GET", "/api/v1/workspace"),
    "GET /api/v1/workspace/signing-secret": fd("GET", "/api/v1/workspace/signing-secret"),

    "POST /api/v1/workflows/[workflow]/run": { product: "unstructured", method: "POST", path: `/api/v1/workflows/${t.reader.uuid}/run` },
    "GET /api/v1/jobs/[job_id]": { product: "unstructured", method: "GET", path: `/api/v1/jobs/${t.run.uuid}` },
    "POST /api/v1/jobs/[job_id]/cancel": { product: "unstructured", method: "POST", path: `/api/v1/jobs/${t.run.uuid}/cancel` },
    "GET /api/v1/workflows/executions/[execution_id]": { product: "datalab", method: "GET", path: `/api/v1/workflows/executions/${t.run.id}` },
    "POST /api/v1/workflows/workflows/[workflow_id]/execute": { product: "datalab", method: "POST", path: `/api/v1/workflows/workflows/${t.reader.id}/execute`, body: jsonBody({}), contentType: "application/json" },
    "POST /v1/execute-workflow": { product: "vellum", method: "POST", path: "/v1/execute-workflow", body: jsonBody({ inputs: [], workflow_deployment_name: t.flow.name }), contentType: "application/json" },
    "POST /v1/execute-workflow-async": { product: "vellum", method: "POST", path: "/v1/execute-workflow-async", body: jsonBody({ inputs: [], workflow_deployment_name: t.flow.name }), contentType: "application/json" },
    "POST /v1/execute-workflow-stream": { product: "vellum", method: "POST", path: "/v1/execute-workflow-stream", body: jsonBody({ inputs: [], workflow_deployment_name: t.flow.name }), contentType: "application/json" },
    "GET /v1/workflows/executions/[id]/status": { product: "vellum", method: "GET", path: `/v1/workflows/executions/${t.run.uuid}/status` },
    "POST /v1/workflows/run": { product: "dify", method: "POST", path: "/v1/workflows/run", body: jsonBody({ inputs: {}, user: "u" }), contentType: "application/json" },
    "GET /v1/workflows/run/[id]": { product: "dify", method: "GET", path: `/v1/workflows/run/${t.readerRun.uuid}` },
    "POST /v1/workflows/tasks/[task_id]/stop": { product: "dify", method: "POST", path: `/v1/workflows/tasks/${t.readerRun.uuid}/stop`, body: jsonBody({ user: "u" }), contentType: "application/json" },
    "POST /v1/files/upload": { product: "dify", method: "POST", path: "/v1/files/upload", body: multipart() },
    "POST /workflows/[workflow_name]/run": { product: "promptlayer", method: "POST", path: `/workflows/${t.flow.name}/run`, body: jsonBody({}), contentType: "application/json" },
    "GET /workflow-version-execution-results": { product: "promptlayer", method: "GET", path: `/workflow-version-execution-results?workflow_version_execution_id=${t.run.id}` },
    "POST /ws-token-request-library": { product: "promptlayer", method: "POST", path: `/ws-token-request-library?capability=workflow_updates:${t.run.id}` },
  };
}

/** The header(s) a product's clients send their key in (every form the route accepts). */
export function credentialHeaders(product: Product, key: string): Record<string, string>[] {
  switch (product) {
    case "flowdeck": return [{ authorization: `Bearer ${key}` }, { "x-api-key": key }];
    case "dify": return [{ authorization: `Bearer ${key}` }];
    case "unstructured": return [{ "unstructured-api-key": key }];
    default: return [{ "x-api-key": key }];
  }
}

/** The request of `probe` with `headers`, as `call` takes it. */
export function probeInit(probe: AuthProbe, headers: Record<string, string>): CallInit {
  return {
    method: probe.method,
    headers: { ...headers, ...(probe.contentType && { "content-type": probe.contentType }) },
    body: probe.body?.(),
  };
}

/** Each product's 401, as its clients expect it. */
export const unauthorized: Record<Product, (a: Answer) => void> = {
  flowdeck: (a) => {
    expect([a.status, a.json?.code]).toEqual([401, "unauthorized"]);
    expect(a.headers.get("www-authenticate")).toMatch(/^Bearer/);
  },
  dify: (a) => expect([a.status, a.json?.status, a.json?.code]).toEqual([401, 401, "unauthorized"]),
  vellum: (a) => expect([a.status, a.json?.code, typeof a.json?.detail]).toEqual([401, "unauthorized", "string"]),
  datalab: (a) => expect([a.status, typeof a.json?.detail]).toEqual([401, "string"]),
  unstructured: (a) => expect([a.status, typeof a.json?.detail]).toEqual([401, "string"]),
  promptlayer: (a) => expect([a.status, a.json?.success, typeof a.json?.error]).toEqual([401, false, "string"]),
};
