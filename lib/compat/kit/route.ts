/**
 * The wrapper every compatibility route goes through: read the API key from the header that
 * product's clients send, resolve the Flowdeck actor, run the handler, and turn every
 * failure into that product's error shape and status codes. Adapters stay translators:
 * they parse the product's request, call the runs service, and shape the answer.
 */
import type { z } from "zod";
import { actorForApiKey } from "../../auth/api-key";
import { ApiRequestError, DEFAULT_MAX_BODY_BYTES, readRequestBody } from "../../api/body";
import { issuesToDetail } from "../../api/route";
import type { RunOrigin } from "../../schemas/run";
import type { Actor } from "../../schemas/workspace";
import { touchApiKey } from "../../services/api-keys";
import { DomainError, UnauthorizedError, ValidationError, type ErrorDetail } from "../../services/errors";

/** A failure, product-neutral; each product's `error` turns it into its own response. */
export interface CompatError {
  status: number;
  /** Flowdeck's code: not_found, unauthorized, forbidden, conflict, validation_error, invalid_json, … */
  code: string;
  message: string;
  detail?: ErrorDetail[];
}

/** What a product adapter declares once. */
export interface CompatProduct {
  /** Stored as the run's origin, shown in the console. */
  origin: RunOrigin;
  /** The API key, read from wherever this product's clients send it (null when absent). */
  apiKey(headers: Headers): string | null;
  /** The product's error response for a failure. */
  error(e: CompatError): Response;
}

const STATUS: Record<string, number> = {
  not_found: 404, forbidden: 403, conflict: 409, validation_error: 422, unauthorized: 401,
};

/** Any thrown value as a CompatError (unexpected ones are logged and are a 500). */
export function toCompatError(err: unknown): CompatError {
  if (err instanceof ApiRequestError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof ValidationError) return { status: 422, code: err.code, message: err.message, detail: err.detail };
  if (err instanceof DomainError) return { status: STATUS[err.code] ?? 400, code: err.code, message: err.message };
  console.error("[compat] unexpected error:", err);
  return { status: 500, code: "internal_error", message: "Something went wrong on our side" };
}

/** The value of a header as a trimmed API key (null when missing or blank). */
export function headerKey(headers: Headers, name: string): string | null {
  return headers.get(name)?.trim() || null;
}

/** An `Authorization: Bearer <key>` key. */
export function bearerKey(headers: Headers): string | null {
  return headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() || null;
}

export interface CompatContext<P> {
  req: Request;
  actor: Actor;
  params: P;
}

type RouteContext = { params: Promise<Record<string, string | string[]>> };

/** A Next.js route handler for one compatibility endpoint of `product`. */
export function compatRoute<P extends Record<string, string> = Record<string, string>>(
  product: CompatProduct,
  handler: (ctx: CompatContext<P>) => Promise<Response>,
) {
  return async (req: Request, context?: RouteContext): Promise<Response> => {
    try {
      const key = product.apiKey(req.headers);
      if (!key) throw new UnauthorizedError("Missing API key");
      const actor = await actorForApiKey(key);
      if (!actor) throw new UnauthorizedError("Invalid API key");
      if (actor.apiKeyId != null) touchApiKey(actor.apiKeyId);
      const params = ((await context?.params) ?? {}) as P;
      return await handler({ req, actor, params });
    } catch (err) {
      return product.error(toCompatError(err));
    }
  };
}

/** A JSON body validated with `schema`; syntax errors are 400, schema errors 422 with `detail`. */
export async function readJsonBody<T extends z.ZodType>(
  req: Request,
  schema: T,
  opts: { optional?: boolean; maxBytes?: number } = {},
): Promise<z.output<T>> {
  const raw = await readRequestBody(req, {
    formats: ["json"], optional: opts.optional ?? false, maxBytes: opts.maxBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  const result = schema.safeParse(raw ?? {});
  if (!result.success) throw new ValidationError(issuesToDetail("body", result.error.issues));
  return result.data;
}

/** Path or query values validated with `schema` (422 located under `where`). */
export function parseParams<T extends z.ZodType>(schema: T, value: unknown, where: "path" | "query"): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(issuesToDetail(where, result.error.issues));
  return result.data;
}
