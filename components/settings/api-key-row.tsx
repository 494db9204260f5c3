"use client";
/** One API key in the list: what it is, when it was made and last used, and (for admins) revoke. */
import { useState, useTransition } from "react";
import { revokeApiKeyAction } from "@/lib/actions/api-keys";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";

/** A time as words, with the exact UTC time on hover. Both computed on the server. */
export interface ShownTime {
  iso: string;
  ago: string;
}

function Time({ at }: { at: ShownTime }) {
  return <time dateTime={at.iso} title={at.iso.replace("T", " ").slice(0, 19) + " UTC"}>{at.ago}</time>;
}

export function ApiKeyRow(props: {
  workspace: string;
  id: number;
  name: string;
  last4: string;
  role: "admin" | "member";
  workflow: string | null;
  label: string | null;
  created: ShownTime;
  lastUsed: ShownTime | null;
  revoked: ShownTime | null;
  canManage: boolean;
}) {
  const { workspace, id, name, canManage } = props;
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function revoke() {
    setMessage(null);
    startTransition(async () => {
      const result = await revokeApiKeyAction({ workspace, id });
      // On success the page is revalidated and this row shows the key as revoked.
      setConfirming(false);
      if (!result.ok) setMessage(result.message);
      else toast.success(`Key “${name}” revoked`, { description: "Requests with it now fail." });
    });
  }

  const revoked = props.revoked != null;
  return (
    <li data-testid={`api-key-${id}`} data-revoked={revoked ? "true" : "false"} className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <span className={`truncate text-sm font-medium ${revoked ? "text-slate-400 line-through" : ""}`} data-testid="api-key-name">{name}</span>
            <code className="whitespace-nowrap rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300" data-testid="api-key-masked">{`fd_…${props.last4}`}</code>
            <span className={`rounded px-1.5 py-0.5 text-xs ${props.role === "admin"
              ? "bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300"
              : "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300"}`} data-testid="api-key-role">{props.role}</span>
            {props.workflow && (
              <span className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300" data-testid="api-key-binding">
                only <span className="font-mono">{props.workflow}</span>{props.label && <> @ <span className="font-mono">{props.label}</span></>}
              </span>
            )}
            {revoked && (
              <span className="rounded bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-700 dark:bg-red-950 dark:text-red-300" data-testid="api-key-revoked">revoked</span>
            )}
          </div>
          <div className="mt-0.5 text-xs text-slate-500">
            created <Time at={props.created} />
            {" · "}
            {props.lastUsed ? <>last used <Time at={props.lastUsed} /></> : "never used"}
            {props.revoked && <>{" · "}revoked <Time at={props.revoked} /></>}
          </div>
        </div>
        {canManage && !revoked && !confirming && (
          <Button variant="danger-outline" type="button" onClick={() => { setMessage(null); setConfirming(true); }}>Revoke</Button>
        )}
      </div>
      {canManage && !revoked && confirming && (
        <div className="mt-2 flex flex-wrap items-center justify-end gap-2 rounded-md bg-red-50 px-3 py-2 text-sm dark:bg-red-950/40" data-testid="confirm-revoke">
          <span className="mr-auto text-slate-700 dark:text-slate-200">Revoke “{name}”? Requests with it will fail at once.</span>
          <Button variant="danger" type="button" disabled={pending} onClick={revoke}>{pending ? "Revoking…" : "Yes, revoke"}</Button>
          <Button variant="ghost" type="button" disabled={pending} onClick={() => setConfirming(false)}>Cancel</Button>
        </div>
      )}
      {message && <p role="alert" data-testid="api-key-row-error" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
    </li>
  );
}
