/**
 * Validation of run inputs against a version's input specs. Accepts what HTML forms send
 * (numbers and booleans as strings, JSON as text) and returns typed values with defaults.
 */
import { z } from "zod";
import type { InputSpec } from "./definition";

/** A reference to a stored file, as inputs carry it. */
export const fileRefSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  size: z.number().int().nonnegative(),
  mime_type: z.string(),
});
/** A reference to a stored file, as inputs carry it. */
export type FileRef = z.infer<typeof fileRefSchema>;

/** One input problem, in the API's error shape. */
export interface InputError {
  loc: (string | number)[];
  msg: string;
  /** "missing" | "type_error" | "value_error" */
  type: string;
}

type IssueType = "missing" | "type_error" | "value_error";
type Ctx = z.core.$RefinementCtx<unknown>;

function report(ctx: Ctx, type: IssueType, message: string, path: (string | number)[] = []): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message, params: { type }, path });
  return z.NEVER;
}

/** A value a form leaves for "nothing entered". */
function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** Whether a file (by name or MIME type) matches an accept list like [".csv", "text/*"]. */
export function fileTypeAccepted(ref: Pick<FileRef, "name" | "mime_type">, accept: string[]): boolean {
  const name = ref.name.toLowerCase();
  const mime = ref.mime_type.toLowerCase().split(";")[0].trim();
  return accept.some((raw) => {
    const a = raw.trim().toLowerCase();
    if (a.startsWith(".")) return name.endsWith(a);
    if (a.endsWith("/*")) return mime.startsWith(a.slice(0, -1));
    return mime === a;
  });
}

function formatBytes(n: number): string {
  if (n >= 1048576) return `${+(n / 1048576).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** Checks one file reference against the spec's accept list and size limit. */
function checkFile(spec: InputSpec, value: unknown, ctx: Ctx, path: (string | number)[]): FileRef | undefined {
  const parsed = fileRefSchema.safeParse(value);
  if (!parsed.success) {
    report(ctx, "type_error", `${spec.name}: must be a file reference { id, name, size, mime_type }`, path);
    return undefined;
  }
  const ref = parsed.data;
  if (spec.accept?.length && !fileTypeAccepted(ref, spec.accept)) {
    report(ctx, "value_error", `${spec.name}: file type ${ref.mime_type || "unknown"} of '${ref.name}' is not accepted (accepted: ${spec.accept.join(", ")})`, path);
  }
  if (spec.max_size !== undefined && ref.size > spec.max_size) {
    report(ctx, "value_error", `${spec.name}: file '${ref.name}' is ${formatBytes(ref.size)}, larger than the limit of ${formatBytes(spec.max_size)}`, path);
  }
  return ref;
}

/** Converts one present (non-blank) value to the spec's type, reporting problems on ctx. */
function coerce(spec: InputSpec, value: unknown, ctx: Ctx): unknown {
  const name = spec.name;
  switch (spec.type) {
    case "text":
      if (typeof value !== "string") return report(ctx, "type_error", `${name}: must be text`);
      return value;
    case "number": {
      let n = value;
      if (typeof n === "string" && n.trim() !== "") n = Number(n.trim());
      if (typeof n !== "number" || !Number.isFinite(n)) return report(ctx, "type_error", `${name}: must be a number`);
      if (spec.min !== undefined && n < spec.min) return report(ctx, "value_error", `${name}: must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return report(ctx, "value_error", `${name}: must be at most ${spec.max}`);
      return n;
    }
    case "boolean": {
      if (typeof value === "boolean") return value;
      const s = typeof value === "string" ? value.trim().toLowerCase() : value;
      if (s === "true" || s === "on" || s === "1" || s === 1) return true;
      if (s === "false" || s === "off" || s === "0" || s === 0) return false;
      return report(ctx, "type_error", `${name}: must be true or false`);
    }
    case "select": {
      const options = spec.options ?? [];
      if (typeof value !== "string" || !options.includes(value)) {
        return report(ctx, "value_error", `${name}: must be one of ${options.map((o) => `'${o}'`).join(", ")}`);
      }
      return value;
    }
    case "json":
      if (typeof value !== "string") return value;
      try {
        return JSON.parse(value);
      } catch {
        return report(ctx, "value_error", `${name}: must be valid JSON`);
      }
    case "file":
      return checkFile(spec, value, ctx, []);
    case "file_list": {
      const items = Array.isArray(value) ? value : [value];
      if (spec.max_files !== undefined && items.length > spec.max_files) {
        return report(ctx, "value_error", `${name}: at most ${spec.max_files} file${spec.max_files === 1 ? "" : "s"} allowed (got ${items.length})`);
      }
      return items.map((item, i) => checkFile(spec, item, ctx, [i]));
    }
  }
}

/** The schema of one input: blank → default, or "Required", or omitted when optional. */
function inputSchema(spec: InputSpec) {
  return z.unknown().optional().transform((value, ctx) => {
    if (isBlank(value)) {
      if (spec.default !== undefined) return coerce(spec, structuredClone(spec.default), ctx);
      if (spec.required !== false) return report(ctx, "missing", "Required");
      return undefined;
    }
    return coerce(spec, value, ctx);
  });
}

/**
 * A zod schema that validates an inputs object against the specs. Unknown keys are dropped;
 * issues carry `params.type` ("missing" | "type_error" | "value_error").
 */
export function buildInputsSchema(specs: InputSpec[]) {
  let schema = inputsSchemaCache.get(specs);
  if (!schema) {
    const shape: Record<string, ReturnType<typeof inputSchema>> = {};
    for (const spec of specs) shape[spec.name] = inputSchema(spec);
    schema = z.object(shape);
    inputsSchemaCache.set(specs, schema);
  }
  return schema;
}

/** Built once per specs list (definitions are immutable once validated). */
const inputsSchemaCache = new WeakMap<InputSpec[], z.ZodObject<Record<string, ReturnType<typeof inputSchema>>>>();

/** Validates raw inputs; never throws. Unknown keys are dropped and listed in `warnings`. */
export function validateInputs(
  specs: InputSpec[],
  raw: unknown,
): { ok: true; inputs: Record<string, unknown>; warnings: string[] } | { ok: false; errors: InputError[] } {
  const given = raw ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    return { ok: false, errors: [{ loc: ["inputs"], msg: "Inputs must be an object", type: "type_error" }] };
  }
  const result = buildInputsSchema(specs).safeParse(given);
  if (!result.success) {
    return {
      ok: false,
      errors: result.error.issues.map((issue) => ({
        loc: ["inputs", ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))],
        msg: issue.message,
        type: (issue as { params?: { type?: string } }).params?.type ?? "value_error",
      })),
    };
  }
  const known = new Set(specs.map((s) => s.name));
  const warnings = Object.keys(given).filter((k) => !known.has(k)).map((k) => `Unknown input '${k}' was ignored`);
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result.data)) if (v !== undefined) inputs[k] = v;
  return { ok: true, inputs, warnings };
}
