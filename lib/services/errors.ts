/**
 * Typed domain errors. Services throw these; lib/api/errors.ts maps them to HTTP in one
 * place and server actions turn them into form messages. A foreign id is NotFound, exactly
 * like a missing one, so nothing reveals another workspace's objects.
 */

/** One problem with a request, in the shape of FastAPI-style `detail` items. */
export interface ErrorDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super("not_found", `${what} not found`);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = "Missing or invalid API key") {
    super("unauthorized", message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = "You do not have permission to do this") {
    super("forbidden", message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super("conflict", message);
  }
}

export class ValidationError extends DomainError {
  constructor(
    readonly detail: ErrorDetail[],
    message = detail.map((d) => d.msg).join("; ") || "Invalid request",
  ) {
    super("validation_error", message);
  }
}
