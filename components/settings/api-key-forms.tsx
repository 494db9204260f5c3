"use client";
/**
 * The create form of the API keys page. On success the full key is shown here once, with a
 * copy button; it lives only in this component's state and is gone on reload.
 */
import { useState, useTransition, type FormEvent } from "react";
import { createApiKeyAction, type CreatedKey } from "@/lib/actions/api-keys";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { Field, fieldClass, readFailure } from "./secret-forms";

export interface WorkflowChoice {
  name: string;
  title: string;
  labels: string[];
}

export function CreateApiKeyForm({ workspace, workflows }: { workspace: string; workflows: WorkflowChoice[] }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<"member" | "admin">("member");
  const [workflow, setWorkflow] = useState("");
  const [label, setLabel] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [pending, startTransition] = useTransition();
  const labels = workflows.find((w) => w.name === workflow)?.labels ?? [];

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setMessage(null);
    startTransition(async () => {
      const result = await createApiKeyAction({ workspace, name, role, workflow, label: workflow ? label : "" });
      if (result.ok) {
        toast.success(`Key “${result.data.name}” created`, { description: "Copy it now: it is shown only once." });
        setCreated(result.data);
        setName("");
        setWorkflow("");
        setLabel("");
        setRole("member");
        return;
      }
      const failure = readFailure(result, ["name", "role", "workflow", "label"]);
      setErrors(failure.fields);
      setMessage(failure.message);
    });
  }

  if (created) return <NewKeyPanel created={created} onDone={() => setCreated(null)} />;

  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid="new-key-form">
      <Field id="key-name" label="Name" error={errors.name} hint="What uses it, e.g. “CI pipeline” or “Zapier”.">
        <input id="key-name" className={fieldClass} value={name} onChange={(e) => setName(e.target.value)}
          placeholder="CI pipeline" autoComplete="off" maxLength={100} />
      </Field>
      <Field id="key-role" label="Role" error={errors.role}
        hint={role === "admin" ? "Admin keys can also manage keys and move labels." : "Member keys can read workflows and start runs."}>
        <select id="key-role" className={fieldClass} value={role} onChange={(e) => setRole(e.target.value === "admin" ? "admin" : "member")}>
          <option value="member">member</option>
          <option value="admin">admin</option>
        </select>
      </Field>
      <Field id="key-workflow" label="Bound workflow" error={errors.workflow} hint="Optional: the key can then reach only this workflow.">
        <select id="key-workflow" className={fieldClass} value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
          <option value="">Any workflow</option>
          {workflows.map((w) => (
            <option key={w.name} value={w.name}>{w.title && w.title !== w.name ? `${w.title} (${w.name})` : w.name}</option>
          ))}
        </select>
      </Field>
      {workflow && (
        <Field id="key-label" label="Label" error={errors.label}
          hint={labels.length ? `Optional: runs through this key use this label (${labels.join(", ")}).` : "Optional: runs through this key use this label."}>
          <input id="key-label" className={`${fieldClass} font-mono`} value={label} onChange={(e) => setLabel(e.target.value)}
            list="key-label-options" placeholder="production" autoComplete="off" spellCheck={false} />
          <datalist id="key-label-options">
            {labels.map((l) => <option key={l} value={l} />)}
          </datalist>
        </Field>
      )}
      {message && <p role="alert" data-testid="key-form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
      <Button type="submit" disabled={pending}>{pending ? "Creating…" : "Create key"}</Button>
    </form>
  );
}

/** The new key, once: copy it now or create another. */
function NewKeyPanel({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  function copy() {
    const copied = navigator.clipboard?.writeText(created.key) ?? Promise.reject(new Error("no clipboard"));
    copied.then(
      () => { setCopied("yes"); toast.success("Key copied to the clipboard"); },
      () => { setCopied("failed"); toast.error("Could not copy the key", { description: "Select it and copy it by hand." }); },
    );
  }

  return (
    <div className="space-y-3" data-testid="new-key-panel">
      <p role="status" className="text-sm font-medium text-emerald-700 dark:text-emerald-400">Created “{created.name}”.</p>
      <div className="flex items-stretch gap-2">
        <input readOnly aria-label="New API key" data-testid="new-key-value" value={created.key}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-xs focus:border-indigo-500 focus:outline-none dark:border-slate-700 dark:bg-slate-950" />
        <Button type="button" variant="secondary" onClick={copy}>{copied === "yes" ? "Copied" : "Copy"}</Button>
      </div>
      <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-300" data-testid="new-key-warning">
        Copy this key now: <strong>you will not see it again.</strong> Flowdeck keeps only a hash and its last 4 characters.
        {copied === "failed" && " (The browser refused the copy: select the key and copy it by hand.)"}
      </p>
      <p className="text-xs text-slate-500">
        Send it as <code className="font-mono">Authorization: Bearer {"<key>"}</code> to <code className="font-mono">/api/v1/…</code>.
      </p>
      <Button type="button" variant="ghost" onClick={onDone}>Done</Button>
    </div>
  );
}
