/**
 * An endpoint's declaration: method, path, summary, and the zod schemas of its path
 * parameters, query, body and answers. Route handlers validate with these schemas
 * (lib/api/route.ts) and the OpenAPI document is generated from them (lib/api/openapi.ts),
 * so the two cannot drift apart.
 */
import type { z } from "zod";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";
/** multipart: documented here, read by the handler itself (file uploads). */
export type BodyFormat = "json" | "yaml" | "multipart";

export interface EndpointResponse {
  description: string;
  /** JSON body schema; omitted for non-JSON answers. */
  schema?: z.ZodType;
  /** A non-JSON content type this answer may have (e.g. text/event-stream), besides `schema`'s JSON. */
  contentType?: string;
  /** Response headers worth documenting. */
  headers?: Record<string, string>;
}

export interface EndpointSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Path under /api/v1, OpenAPI style: `/runs/{run}`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: {
    schema: B;
    /** Accepted formats (default JSON only). */
    formats?: BodyFormat[];
    /** An empty body is read as `{}`. */
    optional?: boolean;
    /** Largest body in bytes (default 1 MiB). */
    maxBytes?: number;
    /** Reshapes the parsed document before validation (e.g. a flat workflow file). */
    prepare?: (raw: unknown) => unknown;
  };
  /** Request headers worth documenting (the API key headers are documented globally). */
  headers?: { name: string; description: string; required?: boolean }[];
  responses: Record<number, EndpointResponse>;
  /** Default true; false for public endpoints (the OpenAPI document). */
  auth?: boolean;
}

/** Declares an endpoint (keeps the schema types for the handler). */
export function defineEndpoint<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: EndpointSpec<P, Q, B>,
): EndpointSpec<P, Q, B> {
  return spec;
}
