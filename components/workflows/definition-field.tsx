"use client";
/**
 * The definition part of the create and publish forms: the editor, a button to load a
 * JSON or YAML file (dropping one on the editor works too) and the checker's answer beside it.
 */
import { useRef, useState } from "react";
import { readWorkflowFileAction } from "@/lib/actions/workflows";
import type { WorkflowFileMeta } from "@/lib/engine/definition-source";
import { DefinitionEditor, type DefinitionEditorHandle } from "./definition-editor";
import { DefinitionProblems } from "./definition-problems";
import type { DefinitionCheckState } from "./use-definition-check";

/** Largest file read into the editor (the server refuses longer definitions anyway). */
const MAX_FILE_BYTES = 1024 * 1024;

export function DefinitionField(props: {
  workspace: string;
  value: string;
  onChange: (value: string) => void;
  check: DefinitionCheckState;
  readOnly?: boolean;
  /** Name, title and description found in an imported workflow file. */
  onImportedMeta?: (meta: WorkflowFileMeta) => void;
  /** Highlights the file picker (the Import entry point). */
  importFirst?: boolean;
}) {
  const { workspace, value, onChange, check, readOnly } = props;
  const editor = useRef<DefinitionEditorHandle>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [fileNote, setFileNote] = useState<{ ok: boolean; text: string } | null>(null);
  const problemLines = new Set((check.result?.errors ?? []).flatMap((e) => (e.line != null ? [e.line] : [])));

  async function load(file: File) {
    setFileNote(null);
    if (file.size > MAX_FILE_BYTES) {
      setFileNote({ ok: false, text: `${file.name} is larger than 1 MB` });
      return;
    }
    const text = await file.text();
    const read = await readWorkflowFileAction({ workspace, text }).catch(() => null);
    if (!read?.ok) {
      setFileNote({ ok: false, text: read?.message ?? `Could not read ${file.name}` });
      return;
    }
    onChange(read.data.definitionText);
    props.onImportedMeta?.(read.data.meta);
    setFileNote({ ok: true, text: `Loaded ${file.name}` });
  }

  return (
    <div className="grid items-start gap-4 lg:grid-cols-3">
      <div className="space-y-2 lg:col-span-2">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <label htmlFor="definition-text" className="text-sm font-medium">Definition <span className="font-normal text-slate-500">(YAML or JSON)</span></label>
          {!readOnly && (
            <div className={`flex items-center gap-2 text-sm ${props.importFirst ? "rounded-md bg-indigo-50 px-2 py-1 dark:bg-indigo-950" : ""}`}>
              {fileNote && (
                <span role={fileNote.ok ? "status" : "alert"} data-testid="definition-file-note"
                  className={fileNote.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-600 dark:text-red-400"}>{fileNote.text}</span>
              )}
              <input ref={fileInput} type="file" accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml,text/plain"
                className="sr-only" data-testid="definition-file" aria-label="Import a JSON or YAML file"
                onChange={(e) => { const f = e.target.files?.[0]; e.target.value = ""; if (f) void load(f); }} />
              <button type="button" onClick={() => fileInput.current?.click()}
                className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800">
                Import file…
              </button>
            </div>
          )}
        </div>
        <DefinitionEditor ref={editor} id="definition-text" label="Definition" value={value} onChange={onChange}
          problemLines={problemLines} readOnly={readOnly} onFile={(f) => void load(f)} describedBy="definition-check" />
        {!readOnly && <p className="text-xs text-slate-500">Paste or type a definition, or drop a .json / .yaml file on the editor. It is checked as you type.</p>}
      </div>
      <div className="lg:sticky lg:top-4">
        <h3 className="mb-2 text-sm font-medium">Check</h3>
        <DefinitionProblems id="definition-check" check={check} onShowLine={(line) => editor.current?.showLine(line)} />
      </div>
    </div>
  );
}
