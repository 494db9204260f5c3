"use client";
/**
 * The runs history table: one row per run, with checkboxes (one per row, and all on this
 * page) and the bulk actions Cancel and Re-run for members and up. Viewers get the table
 * without any of that. After an action the page's data is refreshed from the server.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition, type ReactNode } from "react";
import { cancelRunsAction, rerunRunsAction } from "@/lib/actions/runs";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { formatDuration } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";
import { OriginBadge } from "./origin-badge";
import { StatusBadge } from "./status-badge";

export interface HistoryRow {
  uuid: string;
  status: string;
  workflowTitle: string;
  versionNumber: number;
  label: string | null;
  origin: string;
  /** This page filtered to the row's origin. */
  originHref: string;
  /** ISO time. */
  createdAt: string;
  elapsedMs: number | null;
  errorMessage: string | null;
  externalId: string | null;
  isRerun: boolean;
}

type Bulk = "cancel" | "rerun";

const ACTIVE = new Set(["queued", "running"]);

export function HistoryTable({ resetKey, workspace, rows, now, canBulk, children }: {
  /** Changes with the page's filters and cursor: a new page starts with nothing selected. */
  resetKey: string;
  workspace: string;
  rows: HistoryRow[];
  /** The server's clock when the page was read (ms), so server and browser render the same words. */
  now: number;
  canBulk: boolean;
  /** Shown instead of the table when there are no rows (the result of an action stays above it). */
  children?: ReactNode;
}) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState<Bulk | null>(null);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const [seenKey, setSeenKey] = useState(resetKey);
  if (seenKey !== resetKey) {
    setSeenKey(resetKey);
    setSelected(new Set());
    setConfirming(null);
    setResult(null);
  }

  // Rows can change under the selection (refresh, new page): only rows still shown count.
  const chosen = rows.filter((r) => selected.has(r.uuid)).map((r) => r.uuid);
  const all = rows.length > 0 && chosen.length === rows.length;
  const activeChosen = rows.filter((r) => selected.has(r.uuid) && ACTIVE.has(r.status)).length;

  function toggle(uuid: string, on: boolean) {
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(uuid);
      else next.delete(uuid);
      return next;
    });
  }

  function run(kind: Bulk) {
    setResult(null);
    startTransition(async () => {
      const action = kind === "cancel" ? cancelRunsAction : rerunRunsAction;
      const answer = await action({ workspace, runIds: chosen });
      setConfirming(null);
      if (!answer.ok) {
        setResult({ ok: false, message: answer.message });
        return;
      }
      setResult({ ok: true, message: answer.data.message });
      toast.success(kind === "cancel" ? "Cancel requested" : "Re-runs started", { description: answer.data.message });
      setSelected(new Set());
      router.refresh();
    });
  }

  const runs = (n: number) => `${n} run${n === 1 ? "" : "s"}`;

  return (
    <div className="space-y-2">
      {canBulk && rows.length > 0 && (
        <div data-testid="bulk-bar" className="flex min-h-10 flex-wrap items-center gap-2 text-sm">
          <span data-testid="selected-count" className="text-slate-600 dark:text-slate-300">
            {chosen.length ? `${chosen.length} selected` : "Select runs to cancel or re-run them"}
          </span>
          {chosen.length > 0 && confirming === null && (
            <>
              <Button variant="danger-outline" type="button" data-testid="bulk-cancel" disabled={pending} onClick={() => setConfirming("cancel")}>
                Cancel {runs(chosen.length)}
              </Button>
              <Button variant="secondary" type="button" data-testid="bulk-rerun" disabled={pending} onClick={() => setConfirming("rerun")}>
                Re-run {runs(chosen.length)}
              </Button>
              <Button variant="ghost" type="button" onClick={() => setSelected(new Set())}>Clear selection</Button>
            </>
          )}
          {confirming && (
            <div data-testid="bulk-confirm" className="flex flex-wrap items-center gap-2 rounded-md bg-amber-50 px-3 py-1.5 dark:bg-amber-950/40">
              <span className="text-slate-700 dark:text-slate-200">
                {confirming === "cancel"
                  ? `Cancel ${runs(chosen.length)}? ${activeChosen} queued or running will stop; finished ones are skipped.`
                  : `Re-run ${runs(chosen.length)} with the same inputs on the same versions?`}
              </span>
              <Button variant={confirming === "cancel" ? "danger" : "primary"} type="button" data-testid="bulk-confirm-yes" disabled={pending}
                onClick={() => run(confirming)}>
                {pending ? "Working…" : confirming === "cancel" ? "Yes, cancel" : "Yes, re-run"}
              </Button>
              <Button variant="ghost" type="button" disabled={pending} onClick={() => setConfirming(null)}>Back</Button>
            </div>
          )}
        </div>
      )}
      {result && (
        <p role={result.ok ? "status" : "alert"} data-testid={result.ok ? "bulk-result" : "bulk-error"}
          className={`rounded-md px-3 py-2 text-sm ${result.ok
            ? "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
            : "bg-red-50 text-red-700 dark:bg-red-950 dark:text-red-300"}`}>
          {result.message}
        </p>
      )}

      {rows.length === 0 ? children : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full text-sm" data-testid="runs-table">
            <thead className="border-b border-slate-200 text-left text-xs uppercase text-slate-500 dark:border-slate-800">
              <tr>
                {canBulk && (
                  <th className="w-8 px-3 py-2">
                    <input type="checkbox" aria-label="Select all runs on this page" data-testid="select-all" checked={all}
                      ref={(el) => { if (el) el.indeterminate = chosen.length > 0 && !all; }}
                      onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((r) => r.uuid)) : new Set())} />
                  </th>
                )}
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">Workflow</th>
                <th className="px-3 py-2">Version</th>
                <th className="px-3 py-2">Origin</th>
                <th className="px-3 py-2">Started</th>
                <th className="px-3 py-2 text-right">Duration</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const href = `/w/${workspace}/runs/${r.uuid}`;
                const isSelected = selected.has(r.uuid);
                return (
                  <tr key={r.uuid} data-testid={`run-row-${r.uuid}`} data-status={r.status}
                    className={`border-b border-slate-100 last:border-0 dark:border-slate-800 ${isSelected ? "bg-indigo-50/60 dark:bg-indigo-950/30" : "hover:bg-slate-50 dark:hover:bg-slate-800/50"}`}>
                    {canBulk && (
                      <td className="px-3 py-2">
                        <input type="checkbox" aria-label={`Select run ${r.uuid.slice(0, 8)}`} data-testid={`select-run-${r.uuid}`}
                          checked={isSelected} onChange={(e) => toggle(r.uuid, e.target.checked)} />
                      </td>
                    )}
                    <td className="px-3 py-2"><Link href={href}><StatusBadge status={r.status} /></Link></td>
                    <td className="max-w-[28rem] px-3 py-2">
                      <Link href={href} className="font-medium hover:underline">{r.workflowTitle}</Link>
                      <div className="flex min-w-0 gap-2 text-xs text-slate-500">
                        <span className="font-mono" title={r.uuid}>{r.uuid.slice(0, 8)}</span>
                        {r.externalId && <span className="truncate" title={`External id: ${r.externalId}`}>ext {r.externalId}</span>}
                        {r.isRerun && <span>re-run</span>}
                      </div>
                      {r.errorMessage && <div className="truncate text-xs text-red-600 dark:text-red-400" title={r.errorMessage}>{r.errorMessage}</div>}
                    </td>
                    <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">v{r.versionNumber}{r.label ? ` · ${r.label}` : ""}</td>
                    <td className="px-3 py-2"><Link href={r.originHref} title="Only runs from here"><OriginBadge origin={r.origin} /></Link></td>
                    <td className="whitespace-nowrap px-3 py-2 text-xs">
                      <RelativeTime at={r.createdAt} now={now} live testId="run-started" />
                    </td>
                    <td className="whitespace-nowrap px-3 py-2 text-right font-mono text-xs">{formatDuration(r.elapsedMs)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
