"use client";
/**
 * The run form, generated from a version's typed inputs. It submits through the
 * startRunAction server action (or the caller's, e.g. a re-run), shows the server's
 * per-field messages, and opens the run page at once when the run is accepted.
 */
import { useRouter } from "next/navigation";
import { useCallback, useMemo, useState, useTransition, type FormEvent } from "react";
import type { InputSpec } from "@/lib/engine";
import { startRunAction } from "@/lib/actions/runs";
import type { ActionResult } from "@/lib/actions/action-result";
import { Button } from "@/components/ui/button";
import { KeyHint, submitOnModEnter } from "@/components/ui/key-hint";
import { toast } from "@/components/ui/toast";
import { FileDropzone, type FileRefValue } from "./file-dropzone";

type Values = Record<string, unknown>;

const fieldClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none dark:border-slate-700 dark:bg-slate-950";

const isFileSpec = (s: InputSpec) => s.type === "file" || s.type === "file_list";

/** The form's starting values: the given inputs (a re-run's), else each input's default. */
function initialValues(specs: InputSpec[], given?: Values): Values {
  const values: Values = {};
  for (const s of specs) {
    const has = given !== undefined && given[s.name] !== undefined && given[s.name] !== null;
    const v = has ? given![s.name] : s.default;
    if (s.type === "boolean") values[s.name] = v === true;
    else if (s.type === "json") values[s.name] = v === undefined ? "" : JSON.stringify(v, null, 2);
    else if (isFileSpec(s)) values[s.name] = undefined;
    else values[s.name] = v === undefined ? "" : String(v);
  }
  return values;
}

/**
 * Form values → the inputs object the server validates: empty fields are left out, or,
 * when the form edits earlier inputs, sent as null so they replace the earlier value.
 * Untouched file inputs are left out either way (an edit keeps the earlier file).
 */
function toInputs(specs: InputSpec[], values: Values, clearBlank: boolean): Values {
  const inputs: Values = {};
  for (const s of specs) {
    const v = values[s.name];
    if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) {
      if (clearBlank && !isFileSpec(s)) inputs[s.name] = null;
      continue;
    }
    inputs[s.name] = v;
  }
  return inputs;
}

/** The stored files a file input had, as "name, name". */
function fileNames(value: unknown): string | null {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const names = list.map((f) => (f && typeof f === "object" && typeof (f as { name?: unknown }).name === "string" ? (f as { name: string }).name : null));
  return names.length && names.every(Boolean) ? names.join(", ") : null;
}

export function RunForm(props: {
  workspace: string;
  workflow: string;
  label: string | null;
  version: number | null;
  inputs: InputSpec[];
  canRun: boolean;
  /** Values to start from instead of the defaults (a re-run starts from the run's inputs). */
  initialInputs?: Values;
  /** Submits elsewhere than startRunAction (a re-run); the accepted run's page opens. */
  onSubmit?: (inputs: Values) => Promise<ActionResult<{ runId: string; warnings: string[] }>>;
  submitLabel?: string;
}) {
  const { workspace, workflow, label, version, inputs: specs, canRun, initialInputs, onSubmit } = props;
  const router = useRouter();
  const [values, setValues] = useState<Values>(() => initialValues(specs, initialInputs));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [uploading, setUploading] = useState<Record<string, boolean>>({});
  const [pending, startTransition] = useTransition();

  const set = useCallback((name: string, value: unknown) => setValues((v) => ({ ...v, [name]: value })), []);
  const fileHandlers = useMemo(
    () =>
      Object.fromEntries(
        specs
          .filter((s) => s.type === "file" || s.type === "file_list")
          .map((s) => [s.name, (refs: FileRefValue[]) => set(s.name, s.type === "file" ? refs[0] : refs)]),
      ),
    [specs, set],
  );

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (pending) return;
    setMessage(null);
    setFieldErrors({});
    startTransition(async () => {
      const inputs = toInputs(specs, values, initialInputs !== undefined);
      const result = onSubmit ? await onSubmit(inputs) : await startRunAction({ workspace, workflow, label, version, inputs });
      if (result.ok) {
        const { runId, warnings } = result.data;
        toast.success(onSubmit ? "Re-run started" : "Run started", {
          description: warnings.length ? warnings.join("; ") : `Run ${runId.slice(0, 8)}`,
        });
        router.push(`/w/${workspace}/runs/${runId}`);
        return;
      }
      const errors: Record<string, string> = {};
      const general: string[] = [];
      for (const err of result.errors ?? []) {
        const name = err.loc[0] === "inputs" ? String(err.loc[1]) : null;
        if (name && specs.some((s) => s.name === name)) errors[name] ??= err.msg;
        else general.push(err.msg);
      }
      setFieldErrors(errors);
      setMessage(general.length ? general.join("; ") : Object.keys(errors).length ? "Please fix the highlighted fields." : result.message);
    });
  }

  return (
    <form onSubmit={submit} onKeyDown={submitOnModEnter} noValidate className="space-y-5" data-testid="run-form">
      {specs.length === 0 && <p className="text-sm text-slate-500">This workflow takes no inputs.</p>}
      {specs.map((spec) => {
        const id = `input-${spec.name}`;
        const error = fieldErrors[spec.name];
        const value = values[spec.name];
        return (
          <div key={spec.name}>
            <label htmlFor={id} className="block text-sm font-medium">
              {spec.label ?? spec.name}
              {spec.required !== false && spec.default === undefined && <span className="text-red-500"> *</span>}
              <span className="ml-2 font-mono text-xs font-normal text-slate-400">{spec.type}</span>
            </label>
            {spec.description && <p className="text-xs text-slate-500">{spec.description}</p>}
            {spec.type === "text" && (spec.multiline ? (
              <textarea id={id} name={spec.name} rows={4} className={fieldClass} value={String(value ?? "")} onChange={(e) => set(spec.name, e.target.value)} />
            ) : (
              <input id={id} name={spec.name} className={fieldClass} value={String(value ?? "")} onChange={(e) => set(spec.name, e.target.value)} />
            ))}
            {spec.type === "number" && (
              <input id={id} name={spec.name} inputMode="decimal" className={fieldClass} value={String(value ?? "")} onChange={(e) => set(spec.name, e.target.value)} />
            )}
            {spec.type === "boolean" && (
              <input id={id} name={spec.name} type="checkbox" className="mt-2 h-4 w-4" checked={value === true} onChange={(e) => set(spec.name, e.target.checked)} />
            )}
            {spec.type === "select" && (
              <select id={id} name={spec.name} className={fieldClass} value={String(value ?? "")} onChange={(e) => set(spec.name, e.target.value)}>
                {spec.required === false && <option value="">—</option>}
                {(spec.options ?? []).map((o) => <option key={o} value={o}>{o}</option>)}
              </select>
            )}
            {spec.type === "json" && (
              <textarea id={id} name={spec.name} rows={4} spellCheck={false} className={`${fieldClass} font-mono`} value={String(value ?? "")} onChange={(e) => set(spec.name, e.target.value)} />
            )}
            {isFileSpec(spec) && initialInputs && fileNames(initialInputs[spec.name]) && (
              <p className="text-xs text-slate-500" data-testid={`kept-file-${spec.name}`}>
                Keeps {fileNames(initialInputs[spec.name])} unless you drop another file here.
              </p>
            )}
            {isFileSpec(spec) && (
              <div className="mt-1">
                <FileDropzone workspace={workspace} inputName={spec.name} multiple={spec.type === "file_list"} accept={spec.accept}
                  maxSize={spec.max_size} maxFiles={spec.max_files}
                  onChange={fileHandlers[spec.name]}
                  onBusyChange={(busy) => setUploading((u) => (u[spec.name] === busy ? u : { ...u, [spec.name]: busy }))} />
              </div>
            )}
            {error && <p role="alert" data-testid={`error-${spec.name}`} className="mt-1 text-sm text-red-600 dark:text-red-400">{error}</p>}
          </div>
        );
      })}
      {message && <p role="alert" data-testid="form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending || !canRun || Object.values(uploading).some(Boolean)}>
          {pending ? "Starting…" : (props.submitLabel ?? "Run")}
        </Button>
        {canRun
          ? <KeyHint combo="mod+enter" label="to run" />
          : <span className="text-xs text-slate-500 dark:text-slate-400">Your role can view runs but not start them</span>}
      </div>
    </form>
  );
}
