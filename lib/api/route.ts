/**
 * The one wrapper every /api/v1 route handler goes through: resolve the caller (API key or
 * session), read and validate path parameters, query and body with the endpoint's zod
 * schemas, run the handler, and turn every failure into a clear JSON error — invalid JSON,
 * too large or wrong content type are 4xx, validation is 422 with `detail`, never a 5xx.
 */
import type { z } from "zod";
import type { Actor } from "../schemas/workspace";
import { ValidationError, type ErrorDetail } from "../services/errors";
import { ApiRequestError, DEFAULT_MAX_BODY_BYTES, readRequestBody } from "./body";
import type { EndpointSpec } from "./endpoint";
import { errorResponse, jsonError } from "./errors";

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface HandlerContext<P, Q, B> {
  req: Request;
  actor: Actor;
  params: P;
  query: Q;
  body: B;
  /** The body as sent (before defaults and stripping), e.g. to warn about unknown fields. */
  rawBody: unknown;
}

type RouteContext = { params: Promise<Record<string, string | string[]>> };

/** Zod issues → the API's `detail` items, located under `where` (body, query, path). */
export function issuesToDetail(where: string, issues: z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.map((issue) => ({
    loc: [where, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))],
    msg: issue.message,
    type: (issue as { params?: { type?: string } }).params?.type ?? issue.code,
  }));
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(issuesToDetail(where, result.error.issues));
  return result.data;
}

/** Query parameters as an object (a repeated parameter keeps its last value). */
function queryObject(req: Request): Record<string, string> {
  return Object.fromEntries(new URL(req.url).searchParams);
}

let requestActorModule: Promise<typeof import("./request-actor")> | undefined;

/**
 * Loaded on first use, so the wrapper (and its tests) do not pull in Auth.js for public
 * routes. The promise is kept: a dynamic import per request costs a module lookup each time.
 */
async function resolveActor(req: Request): Promise<Actor> {
  requestActorModule ??= import("./request-actor");
  return (await requestActorModule).requireRequestActor(req);
}

/** Wraps a handler for `spec` as a Next.js route handler. */
export function apiRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: EndpointSpec<P, Q, B>,
  handler: (ctx: HandlerContext<Out<P>, Out<Q>, Out<B>>) => Promise<Response>,
) {
  return async (req: Request, context: RouteContext): Promise<Response> => {
    try {
      const actor = spec.auth === false ? (null as unknown as Actor) : await resolveActor(req);
      const rawParams = (await context.params) ?? {};
      const params = spec.params ? parseWith(spec.params, rawParams, "path") : undefined;
      const query = spec.query ? parseWith(spec.query, queryObject(req), "query") : undefined;
      let body: unknown;
      let rawBody: unknown;
      if (spec.body && !spec.body.formats?.includes("multipart")) {
        rawBody = await readRequestBody(req, {
          formats: spec.body.formats ?? ["json"],
          optional: spec.body.optional ?? false,
          maxBytes: spec.body.maxBytes ?? DEFAULT_MAX_BODY_BYTES,
        });
        if (rawBody === undefined) rawBody = {};
        if (spec.body.prepare) rawBody = spec.body.prepare(rawBody);
        body = parseWith(spec.body.schema, rawBody, "body");
      }
      return await handler({ req, actor, params, query, body, rawBody } as HandlerContext<Out<P>, Out<Q>, Out<B>>);
    } catch (error) {
      if (error instanceof ApiRequestError) return jsonError(error.status, error.code, error.message);
      return errorResponse(error);
    }
  };
}

/** Keys of a JSON object body that the schema does not know (to report as warnings). */
export function unknownFields(raw: unknown, schema: z.ZodObject): string[] {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return [];
  const known = new Set(Object.keys(schema.shape));
  return Object.keys(raw).filter((k) => !known.has(k)).map((k) => `Unknown field '${k}' was ignored`);
}
