"use client";
/**
 * Forms of the Secrets settings page: an LLM provider (saved as the JSON value the llm step
 * reads) or any other secret (name + value). Values go to the server and are never read back;
 * the key field is cleared once saved.
 */
import { useState, useTransition, type FormEvent, type ReactNode } from "react";
import { saveLlmProviderAction, saveSecretAction } from "@/lib/actions/secrets";
import type { ActionResult } from "@/lib/actions/action-result";
import { Button } from "@/components/ui/button";
import { KeyHint, submitOnModEnter } from "@/components/ui/key-hint";
import { toast } from "@/components/ui/toast";

export const fieldClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500 dark:border-slate-700 dark:bg-slate-950 dark:disabled:bg-slate-900";

export type SecretKind = "llm" | "generic";

type Errors = Record<string, string>;

/** Splits an action's failure into per-field messages and one general message. */
export function readFailure(result: Extract<ActionResult<unknown>, { ok: false }>, fields: string[]): { fields: Errors; message: string } {
  const errors: Errors = {};
  const general: string[] = [];
  for (const err of result.errors ?? []) {
    const field = String(err.loc[err.loc.length - 1] ?? "");
    if (fields.includes(field)) errors[field] ??= err.msg;
    else general.push(err.msg);
  }
  const message = general.length ? general.join("; ") : Object.keys(errors).length ? "Please fix the highlighted fields." : result.message;
  return { fields: errors, message };
}

export function Field(props: { id: string; label: string; hint?: ReactNode; error?: string; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={props.id} className="block text-sm font-medium">{props.label}</label>
      {props.children}
      {props.error ? (
        <p role="alert" data-testid={`${props.id}-error`} className="mt-1 text-sm text-red-600 dark:text-red-400">{props.error}</p>
      ) : props.hint ? (
        <p className="mt-1 text-xs text-slate-500">{props.hint}</p>
      ) : null}
    </div>
  );
}

function FormStatus({ message, saved }: { message: string | null; saved: string | null }) {
  if (message) {
    return <p role="alert" data-testid="secret-form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>;
  }
  if (saved) {
    return <p role="status" data-testid="secret-form-saved" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">{saved}</p>;
  }
  return null;
}

interface FormProps {
  workspace: string;
  /** Set when replacing an existing secret: the name is shown but cannot change. */
  fixedName?: string;
  /** Names already in use, to say that saving replaces one. */
  existingNames?: string[];
  /** Called after a successful save (e.g. to close an inline replace form). */
  onSaved?: (name: string) => void;
  onCancel?: () => void;
  /** Prefix for element ids, so two forms can share a page. */
  idPrefix: string;
}

function ReplaceNote({ name, existingNames, fixedName }: { name: string; existingNames?: string[]; fixedName?: string }) {
  if (fixedName || !existingNames?.includes(name.trim())) return null;
  return <p className="text-xs text-amber-700 dark:text-amber-400" data-testid="replace-note">A secret named “{name.trim()}” exists: saving replaces its value.</p>;
}

/** Base URL, key and default model of an OpenAI-compatible provider. */
export function LlmProviderForm({ workspace, fixedName, existingNames, onSaved, onCancel, idPrefix }: FormProps) {
  const [name, setName] = useState(fixedName ?? "llm");
  const [baseUrl, setBaseUrl] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [model, setModel] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const id = (field: string) => `${idPrefix}-${field}`;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setMessage(null);
    setSaved(null);
    startTransition(async () => {
      const result = await saveLlmProviderAction({ workspace, name: fixedName ?? name, base_url: baseUrl, api_key: apiKey, model });
      if (result.ok) {
        setApiKey("");
        setSaved(`Saved “${result.data.name}”. Runs of llm steps now use this provider.`);
        toast.success(fixedName ? `Secret “${result.data.name}” replaced` : `Secret “${result.data.name}” saved`, { description: "Stored encrypted." });
        onSaved?.(result.data.name);
        return;
      }
      const failure = readFailure(result, ["name", "base_url", "api_key", "model"]);
      setErrors(failure.fields);
      setMessage(failure.message);
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid={`${idPrefix}-form`}>
      {!fixedName && (
        <Field id={id("name")} label="Secret name" error={errors.name}
          hint={<>llm steps read the secret named <code className="font-mono">llm</code> unless they name another provider.</>}>
          <input id={id("name")} className={`${fieldClass} font-mono`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" spellCheck={false} />
        </Field>
      )}
      <Field id={id("base_url")} label="Base URL" error={errors.base_url} hint="Any OpenAI-compatible API, e.g. https://api.openai.com/v1">
        <input id={id("base_url")} type="url" className={`${fieldClass} font-mono`} value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)}
          placeholder="https://api.openai.com/v1" autoComplete="off" spellCheck={false} />
      </Field>
      <Field id={id("api_key")} label="API key" error={errors.api_key} hint="Stored encrypted; it is never shown again.">
        <input id={id("api_key")} type="password" className={`${fieldClass} font-mono`} value={apiKey} onChange={(e) => setApiKey(e.target.value)}
          placeholder="sk-…" autoComplete="new-password" spellCheck={false} />
      </Field>
      <Field id={id("model")} label="Default model" error={errors.model} hint="Optional: used when a step names no model.">
        <input id={id("model")} className={`${fieldClass} font-mono`} value={model} onChange={(e) => setModel(e.target.value)}
          placeholder="gpt-4o-mini" autoComplete="off" spellCheck={false} />
      </Field>
      <ReplaceNote name={name} existingNames={existingNames} fixedName={fixedName} />
      <FormStatus message={message} saved={saved} />
      <div className="flex items-center gap-2">
        <Button type="submit" disabled={pending}>{pending ? "Saving…" : fixedName ? "Replace value" : "Save provider"}</Button>
        {onCancel && <Button type="button" variant="ghost" onClick={onCancel}>Cancel</Button>}
      </div>
    </form>
  );
}

/** Any other secret: a name and a value. */
export function GenericSecretForm({ workspace, fixedName, existingNames, onSaved, onCancel, idPrefix }: FormProps) {
  const [name, setName] = useState(fixedName ?? "");
  const [value, setValue] = useState("");
  const [reveal, setReveal] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const id = (field: string) => `${idPrefix}-${field}`;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setMessage(null);
    setSaved(null);
    startTransition(async () => {
      const result = await saveSecretAction({ workspace, name: fixedName ?? name, value });
      if (result.ok) {
        setValue("");
        if (!fixedName) setName("");
        setSaved(`Saved “${result.data.name}”.`);
        toast.success(fixedName ? `Secret “${result.data.name}” replaced` : `Secret “${result.data.name}” saved`, { description: "Stored encrypted." });
        onSaved?.(result.data.name);
        return;
      }
      const failure = readFailure(result, ["name", "value"]);
      setErrors(failure.fields);
      setMessage(failure.message);
    });
  }

  return (
    <form onSubmit={submit} onKeyDown={submitOnModEnter} noValidate className="space-y-4" data-testid={`${idPrefix}-form`}>
      {!fixedName && (
        <Field id={id("name")} label="Secret name" error={errors.name} hint="Letters, digits, '_', '.' and '-'.">
          <input id={id("name")} className={`${fieldClass} font-mono`} value={name} onChange={(e) => setName(e.target.value)}
            placeholder="SLACK_TOKEN" autoComplete="off" spellCheck={false} />
        </Field>
      )}
      <Field id={id("value")} label="Value" error={errors.value} hint="Stored encrypted; it is never shown again.">
        {/* A textarea (values may span lines), masked like a password field until asked. */}
        <textarea id={id("value")} rows={3} className={`${fieldClass} font-mono ${reveal ? "" : "[-webkit-text-security:disc]"}`} value={value}
          onChange={(e) => setValue(e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
      <label className="-mt-2 flex items-center gap-1.5 text-xs text-slate-500">
        <input type="checkbox" checked={reveal} onChange={(e) => setReveal(e.target.checked)} /> show what I type
      </label>
      <ReplaceNote name={name} existingNames={existingNames} fixedName={fixedName} />
      <FormStatus message={message} saved={saved} />
      <div className="flex items-center gap-2">
        <Button type="submit" disabled={pending}>{pending ? "Saving…" : fixedName ? "Replace value" : "Save secret"}</Button>
        {onCancel && <Button type="button" variant="ghost" onClick={onCancel}>Cancel</Button>}
        <KeyHint combo="mod+enter" className="ml-auto" />
      </div>
    </form>
  );
}

/** Tabs over the two forms. */
export function SecretEditor(props: Omit<FormProps, "idPrefix"> & { idPrefix?: string; initialKind?: SecretKind }) {
  const [kind, setKind] = useState<SecretKind>(props.initialKind ?? "llm");
  const prefix = props.idPrefix ?? "secret";
  const tab = (value: SecretKind, label: string) => (
    <button type="button" role="tab" aria-selected={kind === value} onClick={() => setKind(value)}
      className={`rounded-md px-3 py-1.5 text-sm font-medium transition ${kind === value
        ? "bg-white text-slate-900 shadow-sm dark:bg-slate-700 dark:text-white"
        : "text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white"}`}>
      {label}
    </button>
  );
  return (
    <div className="space-y-4">
      <div role="tablist" className="inline-flex gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
        {tab("llm", "LLM provider")}
        {tab("generic", "Other secret")}
      </div>
      {kind === "llm"
        ? <LlmProviderForm {...props} idPrefix={`${prefix}-llm`} />
        : <GenericSecretForm {...props} idPrefix={`${prefix}-generic`} />}
    </div>
  );
}
