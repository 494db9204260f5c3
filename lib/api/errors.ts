/** Domain errors → HTTP, in one place. Bodies are machine-readable: {code, message, detail?}. */
import { DomainError, ValidationError } from "../services/errors";

const STATUS: Record<string, number> = {
  not_found: 404, forbidden: 403, conflict: 409, validation_error: 422, unauthorized: 401,
};

export function jsonError(status: number, code: string, message: string, detail?: unknown): Response {
  const headers: Record<string, string> = status === 401 ? { "www-authenticate": 'Bearer realm="flowdeck"' } : {};
  return Response.json({ code, message, ...(detail ? { detail } : {}) }, { status, headers });
}

export function errorResponse(err: unknown): Response {
  if (err instanceof ValidationError) return jsonError(422, err.code, err.message, err.detail);
  if (err instanceof DomainError) return jsonError(STATUS[err.code] ?? 400, err.code, err.message);
  console.error("[api] unexpected error:", err);
  return jsonError(500, "internal_error", "Something went wrong on our side");
}
