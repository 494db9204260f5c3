"use client";
/**
 * One share link in a list (the run's share panel, the workspace's Share links page): its
 * state, what it shows, who made it and when, when it expires, and Revoke with a confirmation.
 */
import Link from "next/link";
import { useState, useTransition } from "react";
import { revokeShareLinkAction } from "@/lib/actions/share-links";
import type { ShareLinkState, ShareLinkView } from "@/lib/schemas/share-links";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { Ago, Until } from "./link-times";

const STATE_STYLE: Record<ShareLinkState, string> = {
  active: "bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300",
  expired: "bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  revoked: "bg-red-50 text-red-700 dark:bg-red-950 dark:text-red-300",
};

export function ShareLinkRow(props: {
  workspace: string;
  link: ShareLinkView;
  /** The server's clock when the list was read (ms). */
  now: number;
  canRevoke: boolean;
  /** Show which run the link opens (the workspace list; the run's own panel leaves it out). */
  showRun?: boolean;
  /** Marks the link created a moment ago in this panel. */
  isNew?: boolean;
  onRevoked?: (link: ShareLinkView) => void;
}) {
  const { workspace, now } = props;
  const [revoked, setRevoked] = useState<ShareLinkView | null>(null);
  const link = revoked ?? props.link;
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function revoke() {
    setMessage(null);
    startTransition(async () => {
      const result = await revokeShareLinkAction({ workspace, id: link.id });
      setConfirming(false);
      if (!result.ok) return setMessage(result.message);
      setRevoked(result.data);
      toast.success("Share link revoked", { description: "It now answers “This link does not work”." });
      props.onRevoked?.(result.data);
    });
  }

  const by = link.createdBy ? link.createdBy.name || link.createdBy.email : null;
  return (
    <li data-testid={`share-link-${link.id}`} data-state={link.state} className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <code className={`whitespace-nowrap rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800 ${link.state === "active" ? "text-slate-700 dark:text-slate-200" : "text-slate-400 line-through"}`}
              title="The token's last 4 characters">/share/…{link.last4}</code>
            <span data-testid="share-link-state" className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATE_STYLE[link.state]}`}>{link.state}</span>
            <span data-testid="share-link-inputs" className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">
              {link.includeInputs ? "with inputs" : "result only"}
            </span>
            {props.isNew && <span className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">new</span>}
            {props.showRun && (
              <Link href={`/w/${workspace}/runs/${link.run.uuid}`} data-testid="share-link-run" className="truncate text-indigo-600 hover:underline dark:text-indigo-400">
                {link.run.workflowTitle} <span className="text-slate-500">v{link.run.versionNumber}</span>{" "}
                <span className="font-mono text-xs text-slate-400">{link.run.uuid.slice(0, 8)}</span>
              </Link>
            )}
          </div>
          <div className="mt-0.5 text-xs text-slate-500" data-testid="share-link-times">
            created <Ago iso={link.createdAt} now={now} />{by && <> by {by}</>}
            {" · "}
            {link.revokedAt ? (
              <>revoked <Ago iso={link.revokedAt} now={Math.max(now, Date.parse(link.revokedAt))} /></>
            ) : link.expiresAt ? (
              link.state === "expired" ? <>expired <Ago iso={link.expiresAt} now={now} /></> : <>expires <Until iso={link.expiresAt} now={now} /></>
            ) : (
              "never expires"
            )}
          </div>
        </div>
        {props.canRevoke && link.state === "active" && !confirming && (
          <Button variant="danger-outline" type="button"
            onClick={() => { setMessage(null); setConfirming(true); }}>Revoke</Button>
        )}
      </div>
      {props.canRevoke && link.state === "active" && confirming && (
        <div className="mt-2 flex flex-wrap items-center justify-end gap-2 rounded-md bg-red-50 px-3 py-2 text-sm dark:bg-red-950/40" data-testid="confirm-revoke-share-link">
          <span className="mr-auto text-slate-700 dark:text-slate-200">Revoke this link? Anyone who opens it will see “This link does not work”.</span>
          <Button variant="danger" type="button" disabled={pending} onClick={revoke}>{pending ? "Revoking…" : "Yes, revoke"}</Button>
          <Button variant="ghost" type="button" disabled={pending} onClick={() => setConfirming(false)}>Cancel</Button>
        </div>
      )}
      {message && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
    </li>
  );
}
