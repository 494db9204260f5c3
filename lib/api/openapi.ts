/**
 * The OpenAPI 3.1 document, generated from the endpoint declarations (lib/api/endpoints) —
 * the same zod schemas the handlers validate with — through zod's own z.toJSONSchema.
 *
 * All request-side schemas are converted in one pass (io "input": what a caller may send,
 * defaults optional) and all response-side schemas in another (io "output": what the server
 * returns). Schemas that carry a `.meta({ id })` become shared components.
 */
import { z } from "zod";
import { runCallbackSchema, runEventSchema } from "../schemas/api-runs";
import { apiErrorSchema } from "../schemas/api-common";
import type { EndpointSpec } from "./endpoint";
import { endpoints } from "./endpoints";

type Json = Record<string, unknown>;

export const API_VERSION = "1.0.0";

export const AUTH_DESCRIPTION =
  "Send a workspace API key as `Authorization: Bearer <key>` (or as `X-API-Key: <key>`). Keys start with `fd_`; " +
  "create them in the console or with POST /api-keys. A missing, unknown or revoked key answers 401.";

export const SIGNATURE_DESCRIPTION =
  "Callbacks carry `X-Flowdeck-Signature: t=<unix seconds>,v1=<hex>`, where hex is HMAC-SHA256 with the workspace signing " +
  "secret (GET /workspace/signing-secret) over the string `<t>.<raw body>`. Recompute it over the exact bytes received, " +
  "compare in constant time, and reject old timestamps (e.g. more than 5 minutes). A delivery that does not get a 2xx " +
  "answer within 10 s is retried with exponential backoff (5 attempts by default); every attempt is listed on the run.";

const DESCRIPTION = `Flowdeck's run API: start workflow runs and follow them live, read and filter run history, cancel and re-run,
upload files, publish workflow versions and move labels.

## Authentication
${AUTH_DESCRIPTION}

## Errors
Every error has a JSON body \`{code, message}\`. Validation errors are 422 with \`detail: [{loc, msg, type}]\`.
A body that is not JSON, too large or of the wrong content type is 400, 413 or 415. Ids of another workspace answer 404,
exactly like unknown ones.

## Callbacks
${SIGNATURE_DESCRIPTION}`;

/** Replaces `#/$defs/X` references by `#/components/schemas/<rename(X)>`, deeply. */
function rewriteRefs(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")
        ? `#/components/schemas/${rename(v.slice("#/$defs/".length))}`
        : rewriteRefs(v, rename);
    }
    return out;
  }
  return value;
}

/**
 * Converts a named set of schemas in one pass; returns each one's JSON Schema and the shared
 * definitions it referenced. Names already in `components` with a different body are suffixed.
 */
function convertAll(schemas: Record<string, z.ZodType>, io: "input" | "output", components: Record<string, Json>): Record<string, Json> {
  const root = z.object(schemas);
  const json = z.toJSONSchema(root, { io, target: "draft-2020-12", unrepresentable: "any" }) as Json;
  const defs = (json.$defs ?? {}) as Record<string, Json>;
  const names = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    let target = name;
    const existing = components[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(rewriteRefs(def, (n) => n))) target = `${name}${io === "input" ? "Input" : "Output"}`;
    names.set(name, target);
  }
  const rename = (n: string) => names.get(n) ?? n;
  for (const [name, def] of Object.entries(defs)) components[rename(name)] = rewriteRefs(def, rename) as Json;
  const props = (json.properties ?? {}) as Record<string, Json>;
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, rewriteRefs(v, rename) as Json]));
}

function parametersOf(schema: Json | undefined, where: "path" | "query"): Json[] {
  if (!schema?.properties) return [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, Json>).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === "path" || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

const errorRef = { $ref: "#/components/schemas/Error" };
const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: errorRef } } });

/** The standard error answers an endpoint can give, from what it reads. */
function standardErrors(spec: EndpointSpec): Record<string, Json> {
  const out: Record<string, Json> = {};
  const jsonBody = spec.body && !spec.body.formats?.includes("multipart");
  if (jsonBody) out["400"] = errorResponse("The body is not valid JSON (or YAML)");
  if (spec.auth !== false) out["401"] = errorResponse("Missing, unknown or revoked API key");
  if (spec.auth !== false && spec.method !== "GET") out["403"] = errorResponse("The key's role may not do this");
  if (spec.params) out["404"] = errorResponse("Not found in this workspace");
  if (spec.body) {
    out["413"] = errorResponse("The body is too large");
    out["415"] = errorResponse("Wrong Content-Type");
  }
  if (spec.params || spec.query || spec.body) out["422"] = errorResponse("Validation failed: see `detail`");
  return out;
}

const MEDIA: Record<string, string> = { json: "application/json", yaml: "application/yaml", multipart: "multipart/form-data" };

/** Builds the whole document. */
export function buildOpenApiDocument(): Json {
  const components: Record<string, Json> = {};
  const key = (i: number, part: string) => `e${i}_${part}`;

  const outputs: Record<string, z.ZodType> = { error: apiErrorSchema, event: runEventSchema, callback: runCallbackSchema };
  endpoints.forEach((spec, i) => {
    for (const [status, r] of Object.entries(spec.responses)) if (r.schema) outputs[key(i, `r${status}`)] = r.schema;
  });
  const out = convertAll(outputs, "output", components);

  const inputs: Record<string, z.ZodType> = {};
  endpoints.forEach((spec, i) => {
    if (spec.params) inputs[key(i, "params")] = spec.params;
    if (spec.query) inputs[key(i, "query")] = spec.query;
    if (spec.body) inputs[key(i, "body")] = spec.body.schema;
  });
  const inp = convertAll(inputs, "input", components);

  const paths: Record<string, Record<string, Json>> = {};
  endpoints.forEach((spec, i) => {
    const parameters = [
      ...parametersOf(inp[key(i, "params")], "path"),
      ...parametersOf(inp[key(i, "query")], "query"),
      ...(spec.headers ?? []).map((h) => ({ name: h.name, in: "header", required: h.required ?? false, description: h.description, schema: { type: "string" } })),
    ];
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const content: Json = {};
      if (r.schema) content["application/json"] = { schema: out[key(i, `r${status}`)] };
      if (r.contentType === "text/event-stream") {
        content["text/event-stream"] = {
          schema: { type: "string", description: "Frames `id: <seq>` / `event: <type>` / `data: <RunEvent JSON>`; see components.schemas.RunEvent" },
        };
      } else if (r.contentType) {
        content[r.contentType] = { schema: { type: "string", format: "binary" } };
      }
      responses[status] = {
        description: r.description,
        ...(Object.keys(content).length ? { content } : {}),
        ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: "string" } }])) } : {}),
      };
    }
    Object.assign(responses, Object.fromEntries(Object.entries(standardErrors(spec)).filter(([s]) => !(s in responses))));

    const operation: Json = {
      operationId: spec.operationId,
      tags: [spec.tag],
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      responses,
      ...(spec.auth === false ? { security: [] } : {}),
    };
    if (spec.body) {
      const formats = spec.body.formats ?? ["json"];
      operation.requestBody = {
        required: !spec.body.optional,
        content: Object.fromEntries(formats.map((f) => [MEDIA[f], { schema: inp[key(i, "body")] }])),
      };
    }
    if (spec.operationId === "startRun" || spec.operationId === "rerunRun") {
      operation.callbacks = {
        runFinished: {
          "{$request.body#/callback_url}": {
            post: {
              summary: "The run's result, when it ends",
              description: SIGNATURE_DESCRIPTION,
              parameters: [{ name: "X-Flowdeck-Signature", in: "header", required: true, description: "t=<unix seconds>,v1=<hex HMAC-SHA256>", schema: { type: "string" } }],
              requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/RunCallback" } } } },
              responses: { "2XX": { description: "Received; anything else is retried" } },
            },
          },
        },
      };
    }
    (paths[spec.path] ??= {})[spec.method.toLowerCase()] = operation;
  });

  return {
    openapi: "3.1.0",
    info: { title: "Flowdeck API", version: API_VERSION, description: DESCRIPTION },
    servers: [{ url: "/api/v1" }],
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    tags: [...new Set(endpoints.map((e) => e.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: AUTH_DESCRIPTION },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key", description: "The same key, in its own header" },
      },
    },
  };
}

let cached: Json | null = null;
/** The document, built once per process (it only changes with the code). */
export function getOpenApiDocument(): Json {
  return (cached ??= buildOpenApiDocument());
}
