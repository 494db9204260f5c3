"use client";
import { useState, useTransition } from "react";
import { createShareLinkAction } from "@/lib/actions/runs";
import { Button } from "@/components/ui/button";

export function ShareButton({ workspace, runId }: { workspace: string; runId: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [includeInputs, setIncludeInputs] = useState(false);
  const [pending, start] = useTransition();
  const [copied, setCopied] = useState(false);

  if (url) {
    return (
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <input readOnly value={url} data-testid="share-url" onFocus={(e) => e.target.select()}
          className="w-96 max-w-full rounded border border-slate-300 bg-slate-50 px-2 py-1 font-mono text-xs dark:border-slate-700 dark:bg-slate-950" />
        <Button variant="secondary" type="button" onClick={() => navigator.clipboard?.writeText(url).then(() => setCopied(true))}>
          {copied ? "Copied" : "Copy"}
        </Button>
        <span className="text-xs text-slate-500">Shown once: anyone with this link can view the result.</span>
      </div>
    );
  }
  return (
    <div className="flex items-center gap-3 text-sm">
      <label className="flex items-center gap-1.5 text-slate-600 dark:text-slate-300">
        <input type="checkbox" checked={includeInputs} onChange={(e) => setIncludeInputs(e.target.checked)} /> include inputs
      </label>
      <Button variant="secondary" type="button" disabled={pending}
        onClick={() => start(async () => {
          const result = await createShareLinkAction({ workspace, runId, includeInputs });
          if (result.ok) setUrl(`${window.location.origin}${result.data.path}`);
          else setError(result.message);
        })}>
        {pending ? "Creating…" : "Create share link"}
      </Button>
      {error && <span role="alert" className="text-red-600">{error}</span>}
    </div>
  );
}
