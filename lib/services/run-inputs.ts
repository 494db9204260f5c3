/**
 * Turns what a caller sent as inputs into what the engine validates: a typed list becomes
 * an object, and file inputs are replaced by the workspace's stored file records (so size
 * and type checks use the truth, and a foreign file id is simply unknown).
 */
import type { InputSpec } from "../engine";
import { ValidationError, type ErrorDetail } from "./errors";
import { findFilesByIds } from "./files";

type RawInputs = Record<string, unknown> | { name: string; value: unknown }[] | null | undefined;

export function normalizeInputShape(raw: RawInputs): Record<string, unknown> {
  if (raw == null) return {};
  if (Array.isArray(raw)) {
    const out: Record<string, unknown> = {};
    raw.forEach((item, i) => {
      if (!item || typeof item !== "object" || typeof item.name !== "string") {
        throw new ValidationError([{ loc: ["body", "inputs", i], msg: "Each input needs a name and a value", type: "type_error" }]);
      }
      out[item.name] = item.value;
    });
    return out;
  }
  if (typeof raw !== "object") {
    throw new ValidationError([{ loc: ["body", "inputs"], msg: "Inputs must be an object or a list", type: "type_error" }]);
  }
  return { ...raw };
}

function fileIdOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    const id = v.id ?? v.file_id ?? v.upload_file_id;
    if (typeof id === "string") return id;
  }
  return null;
}

/** Replaces file references in `inputs` by stored file records of the workspace. */
export async function resolveFileInputs(workspaceId: number, specs: InputSpec[], inputs: Record<string, unknown>) {
  const fileSpecs = specs.filter((s) => s.type === "file" || s.type === "file_list");
  if (fileSpecs.length === 0) return inputs;
  const wanted: string[] = [];
  for (const spec of fileSpecs) {
    const value = inputs[spec.name];
    const items = spec.type === "file_list" && Array.isArray(value) ? value : value == null || value === "" ? [] : [value];
    for (const item of items) {
      const id = fileIdOf(item);
      if (id) wanted.push(id);
    }
  }
  const found = await findFilesByIds(workspaceId, wanted);
  const errors: ErrorDetail[] = [];
  const out = { ...inputs };
  for (const spec of fileSpecs) {
    const value = inputs[spec.name];
    if (value == null || value === "" || (Array.isArray(value) && value.length === 0)) {
      delete out[spec.name];
      continue;
    }
    const resolve = (item: unknown, loc: (string | number)[]) => {
      const id = fileIdOf(item);
      const file = id ? found.get(id) : undefined;
      if (!file) errors.push({ loc, msg: "Unknown file: upload it first and pass its id", type: "value_error.file" });
      return file;
    };
    out[spec.name] = spec.type === "file_list"
      ? (Array.isArray(value) ? value : [value]).map((item, i) => resolve(item, ["inputs", spec.name, i]))
      : resolve(value, ["inputs", spec.name]);
  }
  if (errors.length) throw new ValidationError(errors);
  return out;
}
