"use client";
/**
 * The step waterfall: one row per step, its bar placed by when the step started and sized
 * by how long it took, both relative to the run's start. While the run is live the clock
 * ticks (here only, not in the rest of the page), so running bars grow. Retries show as
 * segments of one bar; skipped steps as a dashed mark; steps a re-run kept from its parent
 * as "reused" (they did not run in this run, so they have no place on its time axis).
 */
import { memo, useEffect, useState } from "react";
import { formatDuration } from "@/components/ui/format";
import type { StepView } from "./run-view-state";
import { StatusBadge } from "./status-badge";

const BAR: Record<string, string> = {
  running: "bg-blue-500",
  succeeded: "bg-emerald-500",
  failed: "bg-red-500",
  cancelled: "bg-amber-400",
  skipped: "border border-dashed border-slate-400 bg-transparent dark:border-slate-500",
  pending: "bg-slate-300",
};

/** The axis: a few round times that fit the span. */
function ticks(spanMs: number): number[] {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => spanMs / s <= 5) ?? Math.ceil(spanMs / 5 / 3_600_000) * 3_600_000;
  const out: number[] = [];
  for (let t = 0; t <= spanMs; t += step) out.push(t);
  return out;
}

function axisLabel(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${ms / 1000}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}

interface Props {
  steps: StepView[];
  runStartedAt?: string;
  runFinishedAt?: string;
  live: boolean;
}

export const RunTimeline = memo(function RunTimeline({ steps, runStartedAt, runFinishedAt, live }: Props) {
  // No clock on the server: the first render matches the HTML, the clock starts after.
  const [clock, setNow] = useState<number | null>(null);
  useEffect(() => {
    if (!live) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, [live]);

  const known = steps.filter((s) => !s.reused).flatMap((s) => [s.startedAt, s.finishedAt]).filter((t): t is string => !!t).map(Date.parse);
  const lastStepEnd = Math.max(0, ...known);
  const now = clock ?? Math.max(lastStepEnd, runStartedAt ? Date.parse(runStartedAt) : 0);
  const t0 = runStartedAt ? Date.parse(runStartedAt) : now;
  const end = runFinishedAt ? Math.max(Date.parse(runFinishedAt), lastStepEnd) : Math.max(now, lastStepEnd);
  const span = Math.max(end - t0, 1);
  const pct = (ms: number) => `${Math.min(Math.max((ms / span) * 100, 0), 100)}%`;

  return (
    <div data-testid="timeline" data-span-ms={Math.round(span)}>
      <div className="mb-1 grid grid-cols-[minmax(9rem,15rem)_1fr_5.5rem] gap-3 text-[10px] text-slate-400">
        <span />
        <div className="relative h-3" aria-hidden>
          {runStartedAt && ticks(span).map((t) => (
            <span key={t} className="absolute font-mono" style={{ left: pct(t), transform: t === 0 ? undefined : "translateX(-50%)" }}>{axisLabel(t)}</span>
          ))}
        </div>
        <span className="text-right">duration</span>
      </div>
      <ol className="space-y-1.5">
        {steps.map((step) => (
          <TimelineRow key={step.id} step={step} t0={t0} pct={pct} now={now} />
        ))}
      </ol>
    </div>
  );
});

function TimelineRow({ step, t0, pct, now }: { step: StepView; t0: number; pct: (ms: number) => string; now: number }) {
  const started = step.startedAt && !step.reused ? Date.parse(step.startedAt) : null;
  const stopped = step.finishedAt ? Date.parse(step.finishedAt) : step.status === "running" ? Math.max(now, started ?? now) : null;
  const offset = started != null ? started - t0 : null;
  const measured = started != null && stopped != null ? stopped - started : null;
  const duration = step.status === "running" ? measured : (step.durationMs ?? measured);
  const attemptStarts = step.attemptStarts.map(Date.parse);
  const minBar = step.status === "skipped" ? 6 : 3;

  return (
    <li data-testid={`step-${step.id}`} data-status={step.status} data-attempts={step.attempts} data-reused={step.reused ? "true" : undefined}
      className="grid grid-cols-[minmax(9rem,15rem)_1fr_5.5rem] items-center gap-x-3 gap-y-1 text-sm">
      <div className="flex min-w-0 items-center gap-2">
        <StatusBadge status={step.status} />
        <span className="truncate" title={`${step.id} (${step.kind})`}>{step.name}</span>
        {step.attempts > 1 && (
          <span data-testid={`attempts-${step.id}`} title={`${step.attempts} attempts`}
            className="shrink-0 rounded bg-amber-100 px-1 font-mono text-[10px] text-amber-800 dark:bg-amber-950 dark:text-amber-300">×{step.attempts}</span>
        )}
        {step.reused && (
          <span data-testid={`reused-${step.id}`} title="Output kept from the run this one re-ran; the step did not run again"
            className="shrink-0 rounded bg-indigo-100 px-1 text-[10px] text-indigo-800 dark:bg-indigo-950 dark:text-indigo-300">reused</span>
        )}
      </div>
      <div className="relative h-4 rounded bg-slate-100 dark:bg-slate-800">
        {step.reused ? (
          <div className="absolute inset-0 flex items-center rounded border border-dotted border-indigo-300 px-2 text-[10px] text-indigo-600 dark:border-indigo-700 dark:text-indigo-300">
            output reused from the parent run
          </div>
        ) : offset != null && (
          <div data-testid={`bar-${step.id}`} data-offset-ms={Math.round(offset)} data-duration-ms={duration == null ? undefined : Math.round(duration)}
            title={`${step.name}: started at +${formatDuration(offset)}, ${step.status === "running" ? "running for" : "took"} ${formatDuration(duration)}`}
            className={`absolute top-0 flex h-4 overflow-hidden rounded ${BAR[step.status] ?? BAR.pending} ${step.status === "running" ? "animate-pulse" : ""}`}
            // A step that starts at the very end of the axis (e.g. a 0 ms last step) still gets a
            // sliver of a bar inside the track, not a zero-width one past its edge.
            style={{
              left: `min(${pct(offset)}, calc(100% - ${minBar}px))`,
              width: `max(${pct(measured ?? 0)}, ${minBar}px)`,
              maxWidth: `max(calc(100% - ${pct(offset)}), ${minBar}px)`,
            }}>
            {/* Earlier attempts of a retried step: darker segments before the last one. */}
            {attemptStarts.length > 1 && stopped != null && started != null && attemptStarts.slice(1).map((at, i) => (
              <span key={i} className="absolute top-0 h-4 border-l-2 border-white/80 dark:border-slate-900/80"
                style={{ left: `${((at - started) / Math.max(stopped - started, 1)) * 100}%` }} />
            ))}
            {step.status === "running" && step.progress != null && (
              <span className="absolute inset-y-0 left-0 bg-blue-700/40" style={{ width: `${Math.round(step.progress * 100)}%` }} />
            )}
          </div>
        )}
      </div>
      <span className="text-right font-mono text-xs text-slate-500" data-testid={`duration-${step.id}`}>
        {step.status === "pending" ? "" : formatDuration(duration)}
      </span>
      {step.status === "running" && (step.progress != null || step.progressMessage) && (
        <p className="col-start-2 col-end-4 flex items-center gap-2 text-xs text-slate-500" data-testid={`progress-${step.id}`}>
          {step.progress != null && (
            <span className="inline-flex items-center gap-1">
              <span className="inline-block h-1.5 w-20 overflow-hidden rounded bg-slate-200 dark:bg-slate-700">
                <span className="block h-full bg-blue-500" style={{ width: `${Math.round(step.progress * 100)}%` }} />
              </span>
              <span className="font-mono">{Math.round(step.progress * 100)}%</span>
            </span>
          )}
          {step.progressMessage}
        </p>
      )}
      {step.status === "skipped" && step.skipReason && (
        <p className="col-start-2 col-end-4 text-xs text-slate-500" data-testid={`skip-reason-${step.id}`}>Skipped: {step.skipReason}</p>
      )}
      {step.error && (
        <p className="col-start-2 col-end-4 rounded bg-red-50 px-2 py-1 text-xs text-red-700 dark:bg-red-950 dark:text-red-300">
          {step.error.code}: {step.error.message}{step.attempts > 1 ? ` (after ${step.attempts} attempts)` : ""}
        </p>
      )}
    </li>
  );
}
