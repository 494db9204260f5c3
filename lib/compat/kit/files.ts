/**
 * Files the compatibility APIs hand in — multipart uploads (Unstructured) or URLs (Datalab)
 * — and the workflow input they fill: the workflow's file (or file-list) input.
 */
import type { MultipartForm } from "../../api/body";
import type { InputSpec, WorkflowDefinition } from "../../engine";
import type { Actor } from "../../schemas/workspace";
import { discardFiles, saveStagedUpload, saveUploadedFile, type StagedUpload, type StoredFile } from "../../services/files";
import { ValidationError } from "../../services/errors";
import { resolveVersion } from "../../services/workflows";

/** The workflow's first file or file-list input, or null when it has none. */
export function fileInputOf(definition: WorkflowDefinition): InputSpec | null {
  return definition.inputs.find((i) => i.type === "file_list") ?? definition.inputs.find((i) => i.type === "file") ?? null;
}

/**
 * The version a file-taking compatibility request runs, and the input its files fill. A key
 * bound to one workflow runs it at its label; otherwise the latest version runs. 422 (at
 * `path.workflow_id`) when the workflow has no file or file-list input.
 */
export async function resolveFileWorkflow(actor: Actor, workflow: number | string) {
  const label = actor.binding?.label ?? null;
  const resolved = await resolveVersion(actor, workflow, { label });
  const spec = fileInputOf(resolved.definition);
  if (!spec) {
    throw new ValidationError([{
      loc: ["path", "workflow_id"],
      msg: `Workflow '${resolved.workflow.name}' has no file or file-list input to take the files`,
      type: "value_error",
    }]);
  }
  return { label, resolved, spec };
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
export function formFiles(form: MultipartForm, fields: string[]): StagedUpload[] {
  return fields.flatMap((f) => form.files(f));
}

/**
 * Stores uploads (files a multipart body streamed in, or File objects); `discard` removes them
 * again if the request is then refused.
 */
export async function storeUploads(actor: Actor, files: (File | StagedUpload)[]): Promise<{ stored: StoredFile[]; discard(): Promise<void> }> {
  const stored: StoredFile[] = [];
  const discard = () => discardFiles(actor.workspaceId, stored.map((s) => s.id));
  try {
    for (const file of files) {
      stored.push(file instanceof Blob
        ? await saveUploadedFile(actor, { name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) })
        : await saveStagedUpload(actor, file));
    }
  } catch (error) {
    await discard();
    throw error;
  }
  return { stored, discard };
}
