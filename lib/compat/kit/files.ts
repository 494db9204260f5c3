/**
 * Files the compatibility APIs hand in — multipart uploads (Unstructured) or URLs (Datalab)
 * — and the workflow input they fill: the workflow's file (or file-list) input.
 */
import type { InputSpec, WorkflowDefinition } from "../../engine";
import type { Actor } from "../../schemas/workspace";
import { discardFiles, saveUploadedFile, type StoredFile } from "../../services/files";
import { ValidationError } from "../../services/errors";

/** The workflow's first file or file-list input, or null when it has none. */
export function fileInputOf(definition: WorkflowDefinition): InputSpec | null {
  return definition.inputs.find((i) => i.type === "file_list") ?? definition.inputs.find((i) => i.type === "file") ?? null;
}

/**
 * The value for `spec` given some files (ids or URLs): a list for a file-list input, the one
 * file for a file input (422 when several are given for it).
 */
export function fileInputValue(spec: InputSpec, files: string[], loc: (string | number)[]): unknown {
  if (spec.type === "file_list") return files;
  if (files.length > 1) {
    throw new ValidationError([{ loc, msg: `The workflow's input '${spec.name}' takes one file, not ${files.length}`, type: "value_error" }]);
  }
  return files[0];
}

/** The files of a multipart form under any of `fields` (e.g. `input_files` and `input_files[]`). */
export function formFiles(form: FormData, fields: string[]): File[] {
  return fields.flatMap((f) => form.getAll(f)).filter((v): v is File => typeof v !== "string");
}

/** Stores uploads; `discard` removes them again if the request is then refused. */
export async function storeUploads(actor: Actor, files: File[]): Promise<{ stored: StoredFile[]; discard(): Promise<void> }> {
  const stored: StoredFile[] = [];
  const discard = () => discardFiles(actor.workspaceId, stored.map((s) => s.id));
  try {
    for (const file of files) {
      stored.push(await saveUploadedFile(actor, { name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) }));
    }
  } catch (error) {
    await discard();
    throw error;
  }
  return { stored, discard };
}
