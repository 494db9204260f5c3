"use client";
/** Points a label (an existing one or a new name) at a version; the move is recorded in the history. */
import { useState, useTransition, type FormEvent } from "react";
import { moveLabelAction } from "@/lib/actions/workflows";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { Field, fieldClass, readFailure } from "@/components/settings/secret-forms";

export function MoveLabelForm(props: {
  workspace: string;
  workflow: string;
  labels: { name: string; version: number }[];
  versions: number[];
}) {
  const { workspace, workflow, labels, versions } = props;
  const [label, setLabel] = useState(labels.find((l) => l.name === "production")?.name ?? labels[0]?.name ?? "production");
  const [version, setVersion] = useState(versions[0] ?? 1);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const current = labels.find((l) => l.name === label.trim());
  const noMove = current?.version === version;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setMessage(null);
    setDone(null);
    startTransition(async () => {
      const result = await moveLabelAction({ workspace, workflow, label, version });
      if (result.ok) {
        // The page is revalidated: the labels list and the history show the move.
        setDone(`${result.data.label} now points at v${result.data.version}`);
        toast.success(`Label ${result.data.label} moved`, { description: `It now points at v${result.data.version}.` });
        return;
      }
      const failure = readFailure(result, ["label", "version"]);
      setErrors(failure.fields);
      setMessage(failure.message);
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-3" data-testid="move-label-form">
      <div className="grid grid-cols-2 gap-3">
        <Field id="move-label" label="Label" error={errors.label}>
          <input id="move-label" className={`${fieldClass} font-mono`} value={label} onChange={(e) => setLabel(e.target.value)}
            list="move-label-options" autoComplete="off" spellCheck={false} maxLength={63} />
          <datalist id="move-label-options">
            {labels.map((l) => <option key={l.name} value={l.name} />)}
          </datalist>
        </Field>
        <Field id="move-version" label="Version" error={errors.version}>
          <select id="move-version" className={fieldClass} value={version} onChange={(e) => setVersion(Number(e.target.value))}>
            {versions.map((n) => <option key={n} value={n}>v{n}</option>)}
          </select>
        </Field>
      </div>
      <p className="text-xs text-slate-500" data-testid="move-label-hint">
        {current ? (noMove ? `${current.name} already points at v${version}.` : `Moves ${current.name} from v${current.version} to v${version}.`)
          : label.trim() ? `Creates the label ${label.trim()} on v${version}.` : "Name a label, e.g. production or staging."}
      </p>
      {message && <p role="alert" data-testid="move-label-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
      {done && <p role="status" data-testid="move-label-done" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">{done}</p>}
      <Button type="submit" disabled={pending || noMove}>{pending ? "Moving…" : "Move label"}</Button>
    </form>
  );
}
