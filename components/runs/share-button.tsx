"use client";
/**
 * The run page's Share button and its panel: create a read-only link to this run (with or
 * without its inputs, with an optional expiry), see the new link's URL once with Copy, and
 * list the run's links with their state and a Revoke button.
 */
import { useEffect, useId, useRef, useState, useTransition } from "react";
import { createRunShareLinkAction, listRunShareLinksAction, type RunShareLinks } from "@/lib/actions/share-links";
import { SHARE_EXPIRY_LABELS, shareExpiryChoiceSchema, type ShareExpiryChoice, type ShareLinkView } from "@/lib/schemas/share-links";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { ShareLinkRow } from "@/components/share-links/share-link-row";

/** `datetime-local` wants local "YYYY-MM-DDTHH:mm:ss". */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Both lists' links, each once (the later list's copy wins), newest first. */
function mergeLinks(a: ShareLinkView[], b: ShareLinkView[]): ShareLinkView[] {
  const byId = new Map(a.map((l) => [l.id, l]));
  for (const l of b) byId.set(l.id, l);
  return [...byId.values()].sort((x, y) => y.id - x.id);
}

export function ShareButton({ workspace, runId }: { workspace: string; runId: string }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const [list, setList] = useState<RunShareLinks | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, startLoading] = useTransition();
  const [newId, setNewId] = useState<number | null>(null);

  function load() {
    setLoadError(null);
    startLoading(async () => {
      const result = await listRunShareLinksAction({ workspace, runId });
      // A link created while the list was loading stays in it.
      if (result.ok) setList((prev) => ({ ...result.data, links: mergeLinks(prev?.links ?? [], result.data.links) }));
      else setLoadError(result.message);
    });
  }

  useEffect(() => {
    if (!open) return;
    if (!list) load();
    const onKey = (e: KeyboardEvent) => { if (e.key === "Escape") setOpen(false); };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const activeCount = list?.links.filter((l) => l.state === "active").length ?? 0;

  return (
    <div className="relative">
      <Button variant="secondary" type="button" aria-expanded={open} aria-controls={panelId} data-testid="share-open"
        onClick={() => setOpen((o) => !o)}>
        Share
      </Button>
      {open && (
        <div id={panelId} role="dialog" aria-label="Share this run" data-testid="share-panel"
          className="absolute right-0 top-full z-30 mt-2 w-[min(36rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white shadow-lg dark:border-slate-700 dark:bg-slate-900">
          <header className="flex items-center justify-between border-b border-slate-200 px-4 py-2.5 dark:border-slate-800">
            <h2 className="text-sm font-semibold">Share this run</h2>
            <button type="button" aria-label="Close" className="rounded px-2 text-slate-500 hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => setOpen(false)}>×</button>
          </header>
          <div className="space-y-4 p-4">
            <p className="text-xs text-slate-500">
              Anyone with a link sees this run&apos;s result, read-only, without signing in. Nothing else in the workspace.
            </p>
            {list?.canShare !== false && (
              <CreateLinkForm workspace={workspace} runId={runId} onCreated={(link) => {
                setNewId(link.id);
                setList((l) => ({ links: [link, ...(l?.links ?? []).filter((x) => x.id !== link.id)], canShare: true, now: Date.now() }));
              }} />
            )}
            {list?.canShare === false && (
              <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600 dark:bg-slate-800 dark:text-slate-300">
                Viewers cannot create or revoke share links; ask for the member role.
              </p>
            )}
          </div>
          <div className="border-t border-slate-200 dark:border-slate-800">
            <h3 className="px-4 pt-3 text-xs font-semibold uppercase tracking-wide text-slate-500">
              Links to this run{list ? ` (${activeCount} active${list.links.length > activeCount ? ` of ${list.links.length}` : ""})` : ""}
            </h3>
            {loadError && <p role="alert" className="px-4 py-3 text-sm text-red-600 dark:text-red-400">{loadError}</p>}
            {!list && !loadError && (
              <div className="space-y-2 px-4 py-3" aria-busy={loading}>
                <div className="h-4 w-2/3 animate-pulse rounded bg-slate-100 dark:bg-slate-800" />
                <div className="h-4 w-1/2 animate-pulse rounded bg-slate-100 dark:bg-slate-800" />
              </div>
            )}
            {list && list.links.length === 0 && (
              <p data-testid="share-links-empty" className="px-4 py-3 text-sm text-slate-500">No links yet.</p>
            )}
            {list && list.links.length > 0 && (
              <ul data-testid="run-share-links" className="max-h-80 divide-y divide-slate-100 overflow-auto dark:divide-slate-800">
                {list.links.map((link) => (
                  <ShareLinkRow key={link.id} workspace={workspace} link={link} now={list.now} canRevoke={list.canShare} isNew={link.id === newId}
                    onRevoked={(revoked) => setList((l) => l && { ...l, links: l.links.map((x) => (x.id === revoked.id ? revoked : x)) })} />
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function CreateLinkForm(props: { workspace: string; runId: string; onCreated: (link: ShareLinkView) => void }) {
  const [includeInputs, setIncludeInputs] = useState(false);
  const [expires, setExpires] = useState<ShareExpiryChoice>("never");
  const [customAt, setCustomAt] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ url: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [pending, start] = useTransition();
  const urlInput = useRef<HTMLInputElement>(null);
  const fieldIds = useId();

  function create() {
    setError(null);
    let expiresAt: string | null = null;
    if (expires === "custom") {
      const at = customAt ? new Date(customAt) : null; // the browser's local time
      if (!at || Number.isNaN(at.getTime())) return setError("Pick the date and time the link stops working");
      expiresAt = at.toISOString();
    }
    start(async () => {
      const result = await createRunShareLinkAction({ workspace: props.workspace, runId: props.runId, includeInputs, expires, expiresAt });
      if (!result.ok) return setError(result.errors?.map((e) => e.msg).join("; ") || result.message);
      setCreated({ url: `${window.location.origin}${result.data.path}` });
      toast.success("Share link created", { description: "Copy it now: it is shown only once." });
      setCopied(false);
      props.onCreated(result.data.link);
    });
  }

  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // No clipboard API (or no permission): select the text for Ctrl+C.
      urlInput.current?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    toast.success("Link copied to the clipboard");
  }

  return (
    <div className="space-y-3">
      {created && (
        <div data-testid="share-created" className="space-y-1.5 rounded-md border border-emerald-200 bg-emerald-50 p-3 dark:border-emerald-900 dark:bg-emerald-950/40">
          <div className="flex gap-2">
            <input ref={urlInput} readOnly value={created.url} data-testid="share-url" aria-label="Share link URL" onFocus={(e) => e.target.select()}
              className="min-w-0 flex-1 rounded border border-slate-300 bg-white px-2 py-1 font-mono text-xs dark:border-slate-700 dark:bg-slate-950" />
            <Button variant="secondary" type="button" data-testid="share-copy" onClick={() => copy(created.url)}>{copied ? "Copied" : "Copy"}</Button>
          </div>
          <p className="text-xs text-emerald-800 dark:text-emerald-300">Shown once: copy it now. Flowdeck keeps only a hash of it.</p>
        </div>
      )}
      <form className="space-y-3" onSubmit={(e) => { e.preventDefault(); create(); }}>
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" className="mt-0.5" checked={includeInputs} onChange={(e) => setIncludeInputs(e.target.checked)} data-testid="share-include-inputs" />
          <span>
            Include inputs
            <span className="block text-xs text-slate-500">
              {includeInputs
                ? "The page shows the inputs, logs and streamed text too (they can quote the inputs)."
                : "Off: the page shows the steps' timeline and the final outputs only."}
            </span>
          </span>
        </label>
        <div className="flex flex-wrap items-end gap-3">
          <label className="text-sm" htmlFor={`${fieldIds}-expires`}>
            <span className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-300">Expires</span>
            <select id={`${fieldIds}-expires`} value={expires} data-testid="share-expiry"
              onChange={(e) => {
                const next = shareExpiryChoiceSchema.parse(e.target.value);
                setExpires(next);
                if (next === "custom" && !customAt) setCustomAt(toLocalInput(Date.now() + 86_400_000));
              }}
              className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-950">
              {shareExpiryChoiceSchema.options.map((choice) => <option key={choice} value={choice}>{SHARE_EXPIRY_LABELS[choice]}</option>)}
            </select>
          </label>
          {expires === "custom" && (
            <label className="text-sm" htmlFor={`${fieldIds}-at`}>
              <span className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-300">Stops working at (your time)</span>
              <input id={`${fieldIds}-at`} type="datetime-local" step={1} value={customAt} min={toLocalInput(Date.now())}
                onChange={(e) => setCustomAt(e.target.value)} data-testid="share-expiry-at"
                className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950" />
            </label>
          )}
          <Button type="submit" disabled={pending} className="ml-auto">{pending ? "Creating…" : "Create share link"}</Button>
        </div>
        {error && <p role="alert" data-testid="share-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{error}</p>}
      </form>
    </div>
  );
}
