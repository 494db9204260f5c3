/**
 * Typed domain errors. Services throw these; lib/api/errors.ts maps them to HTTP in one
 * place and server actions turn them into form messages. A foreign id is NotFound, exactly
 * like a missing one, so nothing reveals another workspace's objects.
 */

import { clipText } from "../text/clip";

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

/** Most detail items an error carries, and most of their messages in its message. */
export const MAX_ERROR_DETAILS = 100;
const MAX_MESSAGE_ITEMS = 20;
/** Longest message of one detail item, and of the whole error's message. */
const MAX_ITEM_CHARS = 500;
const MAX_MESSAGE_CHARS = 4_000;

/**
 * A request that does not validate. Its detail is capped (the rest counted in one last item):
 * a 1 MB body of a wrong-typed list holds hundreds of thousands of problems, and answering
 * each of them would turn a small request into a response of tens of megabytes.
 */
export class ValidationError extends DomainError {
  readonly detail: ErrorDetail[];

  constructor(detail: ErrorDetail[], message?: string) {
    // Messages may quote what the client sent (an unknown step kind of 200 KB): each is clipped.
    const shown = detail.slice(0, MAX_ERROR_DETAILS).map((d) => (d.msg.length > MAX_ITEM_CHARS ? { ...d, msg: clipText(d.msg, MAX_ITEM_CHARS) } : d));
    const more = detail.length - shown.length;
    super("validation_error", clipText(message ?? (
      (shown.slice(0, MAX_MESSAGE_ITEMS).map((d) => d.msg).join("; ") || "Invalid request") +
      (detail.length > MAX_MESSAGE_ITEMS ? `; … ${detail.length} problems in all` : "")
    ), MAX_MESSAGE_CHARS));
    this.detail = more > 0 ? [...shown, { loc: [], msg: `${more} more problems not listed`, type: "too_many_errors" }] : shown;
  }
}
