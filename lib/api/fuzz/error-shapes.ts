/**
 * The machine-readable 4xx bodies each family of routes promises: Flowdeck's `{code, message,
 * detail?}` (detail items on 422), Dify's `{status, code, message}`, Vellum's `{detail, code}`,
 * PromptLayer's `{success: false, message, error}`, FastAPI's `{detail}` (Datalab,
 * Unstructured). Answers the router gives before any route runs (an unknown path, a method
 * the route lacks) are not the route's promise and pass.
 */
import { z } from "zod";
import { malformedPath } from "../request-target";
import type { ErrorShape, HttpCase, HttpResult } from "./http-case";

const detailItem = z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() });

const SHAPES: Record<Exclude<ErrorShape, "none">, (status: number) => z.ZodType> = {
  flowdeck: (status) =>
    z.object({
      code: z.string().min(1),
      message: z.string().min(1),
      detail: status === 422 ? z.array(detailItem).min(1) : z.unknown().optional(),
    }),
  dify: (status) => z.object({ status: z.literal(status), code: z.string().min(1), message: z.string() }),
  vellum: () => z.object({ detail: z.string().min(1), code: z.string().min(1) }),
  promptlayer: (status) =>
    z.object({
      success: z.literal(false),
      message: z.string().min(1),
      error: z.string().min(1),
      detail: status === 422 ? z.array(detailItem).min(1) : z.unknown().optional(),
    }),
  fastapi: () => z.object({ detail: z.union([z.string().min(1), z.array(detailItem).min(1)]) }),
  share: (status) => SHAPES.flowdeck(status),
};

/** Null when the 4xx body keeps the route's promise, else what is wrong. */
export function errorBodyProblem(c: HttpCase, r: HttpResult): string | null {
  if (r.status < 400 || r.status >= 500 || c.shape === "none") return null;
  const type = String(r.headers["content-type"] ?? "");
  // The router's own answers: a method the route lacks, or a path that left our routes (Next.js
  // answers those itself: its 404 page, or its 400 for a POST it reads as a server action).
  if (r.status === 405) return null;
  if (c.mayMissRoute && !type.includes("json")) return null;
  // A path that is not valid percent-encoding is refused by the server before any route.
  if (r.status === 400 && malformedPath(c.target)) return null;
  if (!type.includes("application/json")) return `4xx without a JSON body (content-type '${type}')`;
  if (r.truncated) return `4xx body larger than ${Math.round(r.body.byteLength / 1024)} KB (an error answer should be small)`;
  let body: unknown;
  try {
    body = JSON.parse(r.body.toString("utf8"));
  } catch {
    return "4xx body is not valid JSON";
  }
  // Off our routes, a form body the server refused before Next.js (lib/api/action-post-screen.ts)
  // is answered in Flowdeck's shape, whichever product's path it was aimed at.
  if (c.mayMissRoute && SHAPES.flowdeck(r.status).safeParse(body).success) return null;
  const result = SHAPES[c.shape](r.status).safeParse(body);
  if (result.success) return null;
  if (c.altShape && c.altShape !== "none" && SHAPES[c.altShape](r.status).safeParse(body).success) return null;
  return `4xx body is not ${c.shape}'s error shape: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`;
}
