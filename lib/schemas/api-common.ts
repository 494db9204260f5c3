/**
 * Shapes shared by every /api/v1 endpoint: the error body, the validation detail items,
 * cursor pagination. The OpenAPI document is generated from these same schemas.
 */
import { z } from "zod";

/** One problem with a request (FastAPI-style). */
export const errorDetailSchema = z
  .object({
    loc: z.array(z.union([z.string(), z.number()])).meta({ description: "Where the problem is, e.g. [\"body\", \"inputs\", \"name\"]" }),
    msg: z.string(),
    type: z.string().meta({ description: "A machine-readable kind, e.g. missing, type_error, value_error" }),
  })
  .meta({ id: "ErrorDetail" });

/** Every error answer: a stable `code`, a readable `message`, and for 422 the `detail` list. */
export const apiErrorSchema = z
  .object({
    code: z.string().meta({ description: "e.g. not_found, unauthorized, validation_error, invalid_json, payload_too_large" }),
    message: z.string(),
    detail: z.array(errorDetailSchema).optional(),
  })
  .meta({ id: "Error" });
export type ApiError = z.infer<typeof apiErrorSchema>;

/** A limit query parameter (1–100, default 25). */
export const limitParam = z.coerce.number().int().min(1).max(100).default(25)
  .meta({ description: "Items per page (1–100)" });

/** An opaque cursor from a previous page's `next_cursor`. */
export const cursorParam = z.string().max(200).optional()
  .meta({ description: "Opaque cursor: the next_cursor of the previous page" });

/** A page of items with the cursor of the next page (null on the last page). */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
  });
}

/** ISO 8601 timestamp in a response. */
export const timestamp = z.string().meta({ format: "date-time" });

/** A timestamp query parameter (ISO 8601). */
export const timestampParam = z.iso.datetime({ offset: true }).optional();
