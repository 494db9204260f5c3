/** What every server action returns: data, or a message (and field errors) for the form. */
import type { z } from "zod";
import { DomainError, ValidationError, type ErrorDetail } from "../services/errors";

/** Parses an action's input; problems become a ValidationError whose `loc` is the field path. */
export function parseActionInput<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ loc: i.path.map(String), msg: i.message, type: i.code })));
  }
  return parsed.data;
}

export type ActionResult<T> = { ok: true; data: T } | { ok: false; message: string; errors?: ErrorDetail[] };

export async function toActionResult<T>(work: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await work() };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, message: err.message, errors: err.detail };
    if (err instanceof DomainError) return { ok: false, message: err.message };
    // Next.js signals redirects and not-found by throwing: let those through.
    if (err && typeof err === "object" && "digest" in err) throw err;
    console.error("[action] unexpected error:", err);
    return { ok: false, message: "Something went wrong on our side. Please try again." };
  }
}
