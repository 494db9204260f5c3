"use client";
/** One secret in the list: its name and age, and (for admins) replace and delete. */
import { useState, useTransition } from "react";
import { deleteSecretAction } from "@/lib/actions/secrets";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { SecretEditor } from "./secret-forms";

export function SecretRow(props: {
  workspace: string;
  name: string;
  /** ISO time of the last change, and the same as words ("3 min ago"), computed on the server. */
  updatedAt: string;
  updatedAgo: string;
  canManage: boolean;
  /** The default LLM provider name: badge it, and open its replace form on the provider tab. */
  isDefaultProvider: boolean;
}) {
  const { workspace, name, canManage } = props;
  const [mode, setMode] = useState<"view" | "replace" | "confirm-delete">("view");
  const [message, setMessage] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function remove() {
    setMessage(null);
    startTransition(async () => {
      const result = await deleteSecretAction({ workspace, name });
      // On success the page is revalidated and this row disappears.
      if (!result.ok) {
        setMessage(result.message);
        setMode("view");
        return;
      }
      toast.success(`Secret “${name}” deleted`, { description: "Runs that use it will fail until it is added again." });
    });
  }

  return (
    <li data-testid={`secret-${name}`} className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <div className="flex items-center gap-2">
            <span className="truncate font-mono text-sm font-medium" data-testid="secret-name">{name}</span>
            {props.isDefaultProvider && (
              <span className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">default LLM provider</span>
            )}
          </div>
          <div className="text-xs text-slate-500">
            <span className="mr-2 tracking-widest text-slate-400" aria-label="value hidden">••••••••</span>
            updated <time dateTime={props.updatedAt} title={props.updatedAt.replace("T", " ").slice(0, 19) + " UTC"}>{props.updatedAgo}</time>
          </div>
        </div>
        {canManage && mode === "view" && (
          <div className="flex gap-2">
            <Button variant="secondary" type="button" onClick={() => { setMessage(null); setNotice(null); setMode("replace"); }}>Replace</Button>
            <Button variant="danger-outline" type="button" onClick={() => { setMessage(null); setNotice(null); setMode("confirm-delete"); }}>Delete</Button>
          </div>
        )}
        {canManage && mode === "confirm-delete" && (
          <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="confirm-delete">
            <span className="text-slate-600 dark:text-slate-300">Delete “{name}”? Runs that use it will fail.</span>
            <Button variant="danger" type="button" disabled={pending} onClick={remove}>{pending ? "Deleting…" : "Yes, delete"}</Button>
            <Button variant="ghost" type="button" disabled={pending} onClick={() => setMode("view")}>Cancel</Button>
          </div>
        )}
      </div>
      {message && <p role="alert" data-testid="secret-row-error" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
      {notice && <p role="status" data-testid="secret-row-notice" className="mt-2 text-sm text-emerald-700 dark:text-emerald-400">{notice}</p>}
      {canManage && mode === "replace" && (
        <div className="mt-3 rounded-md border border-slate-200 bg-slate-50 p-4 dark:border-slate-800 dark:bg-slate-950" data-testid="replace-panel">
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">New value for <span className="font-mono">{name}</span> (the current one is not shown).</p>
          <SecretEditor workspace={workspace} fixedName={name} idPrefix={`replace-${name}`}
            initialKind={props.isDefaultProvider ? "llm" : "generic"}
            onSaved={() => { setNotice("Value replaced."); setMode("view"); }} onCancel={() => setMode("view")} />
        </div>
      )}
    </li>
  );
}
