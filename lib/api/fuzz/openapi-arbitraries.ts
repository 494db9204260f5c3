/**
 * fast-check arbitraries derived from an OpenAPI 3.1 document: for every operation, requests
 * whose path parameters, query, headers and JSON/YAML bodies start from the operation's own
 * schemas (values that are valid, or nearly) and are then bent: ids of other workspaces,
 * garbage and traversal in the path, wrong types, missing and extra fields, nulls, huge and
 * deep values, invalid JSON, wrong content types, odd credentials.
 *
 * The document is read as data (fetched from the running server); what the generator knows
 * about the world beyond it (ids that exist, good example bodies) comes in as `FuzzPools`.
 */
import fc from "fast-check";
import type { ErrorShape, HttpCase } from "./http-case";
import {
  brokenJsonBody, encodeJsonBody, encodeSegment, garbageSegment, IDEMPOTENCY_KEYS, mayLeaveSegment, oddHeaders, type EncodedBody,
} from "./request-parts";
import { applyMutations, mutationArb, toJsonText } from "./values";

export type JsonSchema = { [key: string]: unknown };

export interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  security?: unknown[];
}

export interface OpenApiDocument {
  servers?: { url: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** What the generator knows beyond the document: real ids, good values, credentials. */
export interface FuzzPools {
  /** Path parameter values by parameter name (ids of this workspace and of others, raw). */
  pathParams: Record<string, fc.Arbitrary<string>>;
  /**
   * Values for body properties, by operation and path: `startRun:inputs`, `*:callback_url`,
   * `createWorkflow:definition.steps[].config`. Mixed in with what the schema alone gives.
   */
  bodyHints: Record<string, fc.Arbitrary<unknown>>;
  /** Values for query parameters and headers by name (`*` for any operation). */
  paramHints: Record<string, fc.Arbitrary<string>>;
  /**
   * Path parameter values with which the path reaches another route (documented overlaps, e.g.
   * a workflow named `executions` is Datalab's /workflows/executions/{id}): param → value → that
   * route's error shape.
   */
  shadowedPaths?: Record<string, Record<string, ErrorShape>>;
  /** Good whole bodies by operationId, mutated like generated ones. */
  exampleBodies?: Record<string, fc.Arbitrary<unknown>>;
  /** Credential headers: mostly a valid key, sometimes none or a bad one. */
  auth: fc.Arbitrary<{ headers: Record<string, string>; note: string }>;
  /** A multipart body for multipart operations (headers + bytes). */
  multipart?: (operationId: string) => fc.Arbitrary<{ headers: Record<string, string>; body: Buffer; note: string }>;
  /** Credentials that work (for the well-formed half of the cases). */
  goodAuth: fc.Arbitrary<{ headers: Record<string, string>; note: string }>;
  /**
   * Well-formed requests by operationId, parts that must agree drawn together (a workflow and
   * inputs it takes). What is left out comes from `pathParams` / the schema, unmutated.
   */
  valid?: Record<string, fc.Arbitrary<ValidParts>>;
}

/** The parts of a well-formed request an operation's `valid` generator decides. */
export interface ValidParts {
  pathParams?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  /** A ready body (multipart). */
  encoded?: EncodedBody;
  note?: string;
}

export interface OperationRef {
  path: string;
  method: string;
  operation: OpenApiOperation;
}

/** Every operation of the document. */
export function listOperations(doc: OpenApiDocument): OperationRef[] {
  const out: OperationRef[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(ops)) {
      if (["get", "post", "put", "delete", "patch"].includes(method)) out.push({ path, method: method.toUpperCase(), operation });
    }
  }
  return out;
}

// ── JSON Schema → values ────────────────────────────────────────────────────────────────

interface SchemaContext {
  doc: OpenApiDocument;
  hints: Record<string, fc.Arbitrary<unknown>>;
  operationId: string;
  depth: number;
}

function resolveRef(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; i < 10 && typeof s.$ref === "string"; i++) {
    const name = (s.$ref as string).replace(/^#\/components\/schemas\//, "");
    s = { ...(doc.components?.schemas?.[name] ?? {}), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")) };
  }
  return s;
}

function hintFor(ctx: SchemaContext, path: string): fc.Arbitrary<unknown> | undefined {
  return ctx.hints[`${ctx.operationId}:${path}`] ?? ctx.hints[`*:${path}`];
}

function stringArb(schema: JsonSchema): fc.Arbitrary<string> {
  const min = (schema.minLength as number | undefined) ?? 0;
  const max = (schema.maxLength as number | undefined) ?? Math.max(min, 40);
  const small = Math.min(max, Math.max(min, 40));
  if (schema.format === "date-time") {
    return fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (schema.format === "uuid") return fc.uuid();
  if (typeof schema.pattern === "string") {
    let re: RegExp | null = null;
    try {
      re = new RegExp(schema.pattern);
    } catch {
      re = null;
    }
    if (re) return fc.stringMatching(re, { size: "xsmall" }).filter((s) => s.length >= min && s.length <= max);
  }
  return fc.oneof(
    { weight: 8, arbitrary: fc.string({ minLength: min, maxLength: small }) },
    { weight: 1, arbitrary: fc.constant("y".repeat(max)) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: min, maxLength: small }) },
  );
}

function numberArb(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  let min = (schema.minimum as number | undefined) ?? -1e6;
  let max = (schema.maximum as number | undefined) ?? 1e6;
  if (typeof schema.exclusiveMinimum === "number") min = schema.exclusiveMinimum + (integer ? 1 : Number.EPSILON);
  if (typeof schema.exclusiveMaximum === "number") max = schema.exclusiveMaximum - (integer ? 1 : Number.EPSILON);
  min = Math.max(min, Number.MIN_SAFE_INTEGER);
  max = Math.min(max, Number.MAX_SAFE_INTEGER);
  if (integer) {
    // Mostly small numbers, sometimes the edges.
    return fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: Math.max(min, -1000), max: Math.max(Math.min(max, 1000), Math.max(min, -1000)) }) },
      { weight: 1, arbitrary: fc.constantFrom(min, max) },
      { weight: 1, arbitrary: fc.integer({ min, max }) },
    );
  }
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** Values valid (or nearly) for `schema`; `path` names the place (`inputs`, `definition.steps[].kind`). */
export function schemaArb(schema: JsonSchema, ctx: SchemaContext, path = ""): fc.Arbitrary<unknown> {
  const hint = path ? hintFor(ctx, path) : undefined;
  const own = schemaOwnArb(schema, ctx, path);
  return hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: own }) : own;
}

function schemaOwnArb(raw: JsonSchema, ctx: SchemaContext, path: string): fc.Arbitrary<unknown> {
  const schema = resolveRef(ctx.doc, raw);
  if (ctx.depth > 8) return fc.constant(null);
  const deeper = { ...ctx, depth: ctx.depth + 1 };
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  for (const key of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(schema[key])) return fc.oneof(...(schema[key] as JsonSchema[]).map((s) => schemaArb({ ...s }, deeper, path)));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) return schemaArb(schema.allOf[0] as JsonSchema, deeper, path);
  const type = schema.type;
  if (Array.isArray(type)) return fc.oneof(...type.map((t) => schemaOwnArb({ ...schema, type: t }, ctx, path)));
  switch (type) {
    case "string":
      return stringArb(schema);
    case "integer":
      return numberArb(schema, true);
    case "number":
      return numberArb(schema, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const items = (schema.items as JsonSchema | undefined) ?? {};
      const minItems = (schema.minItems as number | undefined) ?? 0;
      const maxItems = Math.min((schema.maxItems as number | undefined) ?? 4, Math.max(minItems, 4));
      return fc.array(schemaArb(items, deeper, `${path}[]`), { minLength: minItems, maxLength: maxItems });
    }
    case "object":
    case undefined: {
      if (type === undefined && !schema.properties && !schema.additionalProperties) {
        return fc.jsonValue({ maxDepth: 2 }); // {}: anything
      }
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, s] of Object.entries(props)) fields[name] = schemaArb(s, deeper, path ? `${path}.${name}` : name);
      const base = fc.record(fields, { requiredKeys: [...required].filter((n) => n in props) });
      const extra = schema.additionalProperties && typeof schema.additionalProperties === "object"
        ? fc.dictionary(
            schema.propertyNames ? (stringArb(resolveRef(ctx.doc, schema.propertyNames as JsonSchema)) as fc.Arbitrary<string>) : fc.string({ maxLength: 12 }),
            schemaArb(schema.additionalProperties as JsonSchema, deeper, `${path}{}`),
            { maxKeys: 4 },
          )
        : fc.constant({});
      return fc.tuple(base, extra).map(([b, e]) => ({ ...e, ...b }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ── Parameters ──────────────────────────────────────────────────────────────────────────

const paramArb = (ctx: SchemaContext, p: OpenApiParameter, pools: FuzzPools): fc.Arbitrary<string> => {
  const fromSchema = p.schema
    ? schemaArb(p.schema, ctx).map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
    : fc.string({ maxLength: 10 });
  const hint = pools.paramHints[`${ctx.operationId}:${p.name}`] ?? pools.paramHints[`*:${p.name}`] ?? pools.pathParams[p.name];
  return fc.oneof(
    ...(hint ? [{ weight: 5, arbitrary: hint }] : []),
    { weight: 3, arbitrary: fromSchema },
    { weight: 2, arbitrary: garbageSegment },
  );
};

// ── Requests ────────────────────────────────────────────────────────────────────────────
/**
 * Requests for one operation: two in five well-formed (working credentials, real ids, a body
 * the operation should accept: these reach the services and store things), the rest hostile.
 */
export function operationCaseArb(doc: OpenApiDocument, ref: OperationRef, pools: FuzzPools): fc.Arbitrary<HttpCase> {
  return fc.oneof({ weight: 2, arbitrary: validOperationCaseArb(doc, ref, pools) }, { weight: 3, arbitrary: hostileOperationCaseArb(doc, ref, pools) });
}

function operationParts(doc: OpenApiDocument, ref: OperationRef, pools: FuzzPools) {
  const { operation } = ref;
  const params = operation.parameters ?? [];
  return {
    ctx: { doc, hints: pools.bodyHints, operationId: operation.operationId, depth: 0 } as SchemaContext,
    base: (doc.servers?.[0]?.url ?? "").replace(/\/$/, ""),
    pathParams: params.filter((p) => p.in === "path"),
    queryParams: params.filter((p) => p.in === "query"),
    headerParams: params.filter((p) => p.in === "header"),
    content: operation.requestBody?.content ?? {},
  };
}

const queryString = (pairs: [string, string][]) =>
  pairs.length ? `?${pairs.map(([k, v]) => `${encodeSegment(k, false)}=${encodeSegment(v, false)}`).join("&")}` : "";

function validOperationCaseArb(doc: OpenApiDocument, ref: OperationRef, pools: FuzzPools): fc.Arbitrary<HttpCase> {
  const { operation } = ref;
  const { ctx, base, pathParams, queryParams, content } = operationParts(doc, ref, pools);
  const decided = pools.valid?.[operation.operationId] ?? fc.constant<ValidParts>({});
  const ownPath = fc.tuple(...pathParams.map((p) => pools.pathParams[p.name] ?? fc.string({ minLength: 1, maxLength: 8 })));
  const ownQuery = fc.tuple(...queryParams.map((p) => fc.option(
    pools.paramHints[`${operation.operationId}:${p.name}`] ?? (p.schema ? schemaOwnArb(p.schema, ctx, "").map(String) : fc.constant("1")),
    { freq: 3, nil: undefined },
  )));
  const jsonSchema = content["application/json"]?.schema;
  const ownBody: fc.Arbitrary<unknown> = pools.exampleBodies?.[operation.operationId] ?? (jsonSchema ? schemaArb(jsonSchema, ctx) : fc.constant(undefined));
  const multipart = content["multipart/form-data"] && pools.multipart ? pools.multipart(operation.operationId) : null;

  // One well-formed body in three gets one mutation: near-valid requests reach the deepest checks.
  const mutation = fc.option(mutationArb, { freq: 2, nil: undefined });
  return fc.record({ decided, path: ownPath, query: ownQuery, body: ownBody, auth: pools.goodAuth, multipart: multipart ?? fc.constant(null), mutation }).map((r) => {
    const notes = ["well-formed", r.auth.note, r.decided.note ?? ""];
    let target = `${base}${ref.path}`;
    let altShape: ErrorShape | undefined;
    pathParams.forEach((p, i) => {
      const value = r.decided.pathParams?.[p.name] ?? (r.path[i] as string);
      altShape ??= pools.shadowedPaths?.[p.name]?.[value];
      target = target.replace(`{${p.name}}`, encodeSegment(value, false));
      notes.push(`${p.name}=${JSON.stringify(value)}`);
    });
    const pairs: [string, string][] = [];
    queryParams.forEach((p, i) => {
      const value = r.decided.query?.[p.name] ?? (r.query[i] as string | undefined);
      if (value !== undefined) pairs.push([p.name, value]);
    });
    let encoded: EncodedBody = { headers: {}, note: "" };
    if (r.decided.encoded) encoded = r.decided.encoded;
    else if (multipart && r.multipart) encoded = r.multipart;
    else if (operation.requestBody) {
      const value = r.decided.body !== undefined ? r.decided.body : r.body;
      if (value !== undefined) {
        const { value: out, notes: changed } = r.mutation ? applyMutations(value, [r.mutation]) : { value, notes: [] as string[] };
        encoded = { headers: { "content-type": "application/json" }, body: Buffer.from(toJsonText(out)), note: ["json", ...changed].join("; ") };
      }
    }
    return {
      family: `api:${operation.operationId}`,
      method: ref.method,
      target: `${target}${queryString(pairs)}`,
      headers: { ...r.auth.headers, ...(r.decided.headers ?? {}), ...encoded.headers },
      body: encoded.body,
      shape: "flowdeck" as const,
      altShape,
      notes: [...notes, encoded.note].filter(Boolean),
    };
  });
}

function hostileOperationCaseArb(doc: OpenApiDocument, ref: OperationRef, pools: FuzzPools): fc.Arbitrary<HttpCase> {
  const { operation } = ref;
  const { ctx, base, pathParams, queryParams, headerParams, content } = operationParts(doc, ref, pools);

  // One value in ten goes on the wire unencoded (when it can), so `..` and `/` reach the router as they are.
  const pathArb = fc.tuple(...pathParams.map((p) => fc.tuple(paramArb(ctx, p, pools), fc.nat(9)))).map((values) => {
    let target = `${base}${ref.path}`;
    let miss = false;
    let altShape: ErrorShape | undefined;
    const notes: string[] = [];
    pathParams.forEach((p, i) => {
      const [value, pick] = values[i] as [string, number];
      const raw = pick === 0;
      altShape ??= pools.shadowedPaths?.[p.name]?.[value];
      target = target.replace(`{${p.name}}`, encodeSegment(value, raw));
      if (mayLeaveSegment(value, raw)) miss = true;
      notes.push(`${p.name}=${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}${raw ? " (raw)" : ""}`);
    });
    return { target, miss, notes, altShape };
  });

  const queryArb = fc.tuple(
    fc.tuple(...queryParams.map((p) => fc.option(paramArb(ctx, p, pools), { freq: 2, nil: undefined }))),
    fc.oneof(
      { weight: 8, arbitrary: fc.constant<[string, string][]>([]) },
      { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom("workspace", "limit", "cursor", "__proto__", "q[]", ""), fc.string({ maxLength: 8 })), garbageSegment), { maxLength: 3 }) },
    ),
  ).map(([values, extra]) => {
    const pairs: [string, string][] = [];
    queryParams.forEach((p, i) => {
      if (values[i] !== undefined) pairs.push([p.name, values[i] as string]);
    });
    pairs.push(...extra);
    return queryString(pairs);
  });

  const headerArb = fc.tuple(...headerParams.map((p) => fc.option(
    p.name.toLowerCase() === "idempotency-key"
      ? fc.oneof(fc.constantFrom(...IDEMPOTENCY_KEYS), fc.uuid(), fc.string({ maxLength: 30 }))
      : fc.oneof(paramArb(ctx, p, pools), fc.constantFrom("0", "1", "-1", "3", "99999999999999999999", "abc", "1.5", " 2 ")),
    { freq: 2, nil: undefined },
  ))).map((values) => {
    const headers: Record<string, string> = {};
    headerParams.forEach((p, i) => {
      const v = values[i] as string | undefined;
      // Node refuses header values outside Latin-1 (and controls other than tab): send those percent-encoded.
      if (v !== undefined) headers[p.name] = /^[\t\x20-\x7e\x80-\xff]*$/.test(v) ? v : encodeURIComponent(v.replace(/[\ud800-\udfff]/g, "?"));
    });
    return headers;
  });

  const formats = Object.keys(content);
  const jsonSchema = content["application/json"]?.schema ?? content["application/yaml"]?.schema;
  let bodyArb: fc.Arbitrary<EncodedBody>;
  if (formats.includes("multipart/form-data") && pools.multipart) {
    bodyArb = fc.oneof({ weight: 6, arbitrary: pools.multipart(operation.operationId) }, { weight: 1, arbitrary: brokenJsonBody });
  } else if (jsonSchema) {
    const generated = schemaArb(jsonSchema, ctx);
    const example = pools.exampleBodies?.[operation.operationId];
    const valueArb = example ? fc.oneof({ weight: 2, arbitrary: example }, { weight: 2, arbitrary: generated }) : generated;
    const mutated = fc.tuple(valueArb, fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 5, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) },
    )).map(([v, ms]) => applyMutations(v, ms));
    bodyArb = fc.oneof(
      { weight: 20, arbitrary: mutated.chain(({ value, notes }) => encodeJsonBody(value, formats).map((enc) => ({ ...enc, note: [enc.note, ...notes].join("; ") }))) },
      { weight: 4, arbitrary: brokenJsonBody },
      { weight: operation.requestBody?.required ? 1 : 4, arbitrary: fc.constant({ headers: {}, note: "no body" } as EncodedBody) },
    );
  } else {
    bodyArb = fc.oneof(
      { weight: 12, arbitrary: fc.constant({ headers: {}, note: "" } as EncodedBody) },
      { weight: 1, arbitrary: fc.constant({ headers: { "content-type": "application/json" }, body: Buffer.from("{\"unexpected\":true}"), note: "unexpected body" }) },
    );
  }

  const authArb = operation.security && operation.security.length === 0 ? pools.auth.map((a) => ({ ...a, note: `${a.note} (public)` })) : pools.auth;

  return fc.record({ path: pathArb, query: queryArb, headers: headerArb, body: bodyArb, auth: authArb, odd: oddHeaders }).map((r) => ({
    family: `api:${operation.operationId}`,
    method: ref.method,
    target: `${r.path.target}${r.query}`,
    headers: { ...r.odd.headers, ...r.auth.headers, ...r.headers, ...r.body.headers },
    body: r.body.body,
    shape: "flowdeck" as const,
    altShape: r.path.altShape,
    mayMissRoute: r.path.miss,
    notes: [r.auth.note, ...r.path.notes, r.body.note, r.odd.note].filter(Boolean),
  }));
}

/** Requests with a method the path does not declare (the router answers; never a 5xx). */
export function wrongMethodCaseArb(doc: OpenApiDocument, pools: FuzzPools): fc.Arbitrary<HttpCase> | null {
  const base = (doc.servers?.[0]?.url ?? "").replace(/\/$/, "");
  const choices: { path: string; method: string }[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const declared = Object.keys(ops).map((m) => m.toUpperCase());
    for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]) {
      if (!declared.includes(method)) choices.push({ path, method });
    }
  }
  if (!choices.length) return null;
  return fc.record({ choice: fc.constantFrom(...choices), auth: pools.auth, body: fc.boolean() }).map(({ choice, auth, body }) => {
    const target = `${base}${choice.path.replace(/\{[^}]+\}/g, "x")}`;
    const withBody = body && choice.method !== "GET" && choice.method !== "HEAD";
    return {
      family: "api:wrong-method",
      method: choice.method,
      target,
      headers: { ...auth.headers, ...(withBody ? { "content-type": "application/json" } : {}) },
      body: withBody ? Buffer.from("{}") : undefined,
      shape: "none" as const,
      notes: [auth.note],
    };
  });
}
