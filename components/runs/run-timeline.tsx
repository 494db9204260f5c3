"use client";
/** The step waterfall: one bar per step, placed by start time and sized by duration. */
import { useEffect, useState } from "react";
import { formatDuration } from "@/components/ui/format";
import type { RunViewState } from "./run-view-state";
import { StatusBadge } from "./status-badge";

const BAR: Record<string, string> = {
  running: "bg-blue-500 animate-pulse", succeeded: "bg-emerald-500", failed: "bg-red-500",
  cancelled: "bg-amber-500", skipped: "bg-slate-300", pending: "bg-slate-200",
};

export function RunTimeline({ state }: { state: RunViewState }) {
  const running = state.status === "running" || state.status === "queued";
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, [running]);

  const t0 = state.startedAt ? Date.parse(state.startedAt) : now;
  const end = state.finishedAt ? Date.parse(state.finishedAt) : now;
  const span = Math.max(end - t0, 1);

  return (
    <ol className="space-y-2" data-testid="timeline">
      {state.steps.map((step) => {
        const start = step.startedAt ? Date.parse(step.startedAt) - t0 : null;
        const stop = step.finishedAt ? Date.parse(step.finishedAt) - t0 : step.startedAt ? end - t0 : null;
        const duration = step.durationMs ?? (start != null && stop != null ? stop - start : null);
        return (
          <li key={step.id} data-testid={`step-${step.id}`} data-status={step.status} className="grid grid-cols-[minmax(8rem,16rem)_1fr_5rem] items-center gap-3 text-sm">
            <div className="flex min-w-0 items-center gap-2">
              <StatusBadge status={step.status} />
              <span className="truncate" title={step.id}>{step.name}</span>
            </div>
            <div className="relative h-3 rounded bg-slate-100 dark:bg-slate-800">
              {start != null && (
                <div className={`absolute top-0 h-3 rounded ${BAR[step.status] ?? BAR.pending}`}
                  style={{ left: `${(start / span) * 100}%`, width: `max(${(((stop ?? start) - start) / span) * 100}%, 3px)` }} />
              )}
            </div>
            <span className="text-right font-mono text-xs text-slate-500">{formatDuration(duration)}</span>
            {step.status === "running" && step.progressMessage && (
              <p className="col-span-3 text-xs text-slate-500" data-testid={`progress-${step.id}`}>{step.progressMessage}</p>
            )}
            {step.status === "skipped" && step.skipReason && (
              <p className="col-span-3 text-xs text-slate-500" data-testid={`skip-reason-${step.id}`}>Skipped: {step.skipReason}</p>
            )}
            {step.error && (
              <p className="col-span-3 rounded bg-red-50 px-2 py-1 text-xs text-red-700 dark:bg-red-950 dark:text-red-300">
                {step.error.code}: {step.error.message}
              </p>
            )}
          </li>
        );
      })}
    </ol>
  );
}
