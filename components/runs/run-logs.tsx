"use client";
/**
 * The run's log lines with their levels. Each level can be hidden or shown (with counts),
 * and the lines can be narrowed to one step. Memoised on the lines array: a streaming token
 * leaves it as it was, so tokens never re-render this list. The list follows new lines
 * while the reader is at its bottom.
 */
import { memo, useEffect, useMemo, useRef, useState } from "react";
import type { LogLine } from "./run-view-state";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

const LINE: Record<string, string> = {
  error: "text-red-700 dark:text-red-400",
  warn: "text-amber-700 dark:text-amber-400",
  info: "",
  debug: "text-slate-400",
};
const TAG: Record<string, string> = {
  error: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  warn: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  info: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  debug: "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-400",
};

export const RunLogs = memo(function RunLogs({ logs }: { logs: LogLine[] }) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const [step, setStep] = useState("");
  const boxRef = useRef<HTMLOListElement>(null);
  const following = useRef(true);

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const l of logs) c[l.level] = (c[l.level] ?? 0) + 1;
    return c;
  }, [logs]);
  const stepIds = useMemo(() => [...new Set(logs.map((l) => l.stepId))], [logs]);
  const shown = useMemo(() => logs.filter((l) => !hidden.has(l.level) && (!step || l.stepId === step)), [logs, hidden, step]);

  useEffect(() => {
    const box = boxRef.current;
    if (box && following.current) box.scrollTop = box.scrollHeight;
  }, [shown]);

  if (logs.length === 0) return <p className="text-sm text-slate-500" data-testid="run-logs-empty">No log lines.</p>;

  const toggle = (level: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(level)) next.delete(level);
      else next.add(level);
      return next;
    });

  return (
    <div>
      <div className="mb-2 flex flex-wrap items-center gap-1.5 text-xs" role="toolbar" aria-label="Filter log lines">
        <span className="mr-1 text-slate-500">Levels</span>
        {LOG_LEVELS.map((level) => {
          const on = !hidden.has(level);
          return (
            <button key={level} type="button" aria-pressed={on} data-testid={`log-level-${level}`} onClick={() => toggle(level)}
              className={`rounded-full px-2 py-0.5 font-medium transition ${on ? TAG[level] : "bg-transparent text-slate-400 line-through ring-1 ring-slate-200 dark:ring-slate-700"}`}>
              {level} <span className="font-mono">{counts[level] ?? 0}</span>
            </button>
          );
        })}
        {hidden.size > 0 && (
          <button type="button" className="text-slate-500 underline hover:no-underline" onClick={() => setHidden(new Set())}>show all</button>
        )}
        {stepIds.length > 1 && (
          <label className="ml-auto flex items-center gap-1 text-slate-500">
            Step
            <select value={step} onChange={(e) => setStep(e.target.value)} data-testid="log-step-filter"
              className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-700 dark:bg-slate-950">
              <option value="">all</option>
              {stepIds.map((id) => <option key={id} value={id}>{id}</option>)}
            </select>
          </label>
        )}
      </div>
      <ol ref={boxRef} data-testid="run-logs" data-shown={shown.length}
        onScroll={(e) => {
          const box = e.currentTarget;
          following.current = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
        }}
        className="max-h-80 overflow-auto rounded-md border border-slate-200 bg-slate-50 py-1 font-mono text-xs leading-5 dark:border-slate-800 dark:bg-slate-950">
        {shown.map((l) => (
          <li key={l.seq} data-testid="log-line" data-level={l.level} data-seq={l.seq} className={`flex gap-2 px-2 ${LINE[l.level] ?? ""}`}>
            <time className="shrink-0 text-slate-400" dateTime={l.at} title={l.at}>{l.at.slice(11, 23)}</time>
            <span className={`shrink-0 rounded px-1 text-[10px] uppercase ${TAG[l.level] ?? TAG.info}`}>{l.level}</span>
            <span className="shrink-0 text-slate-500">[{l.stepId}]</span>
            <span className="min-w-0 whitespace-pre-wrap break-words">{l.message}</span>
          </li>
        ))}
        {shown.length === 0 && <li className="px-2 text-slate-500">No lines at the chosen levels.</li>}
      </ol>
    </div>
  );
});
