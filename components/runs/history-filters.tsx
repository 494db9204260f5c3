"use client";
/**
 * The runs history's filter bar. It holds no state of its own that matters: every change
 * pushes new search params (dropping the page cursor), and the server page reads them, so a
 * filtered view survives a reload and can be pasted to a colleague. The fields start over
 * from the URL whenever it changes (not by a `key`: a keyed remount of this client component
 * inside a server page left the old bar in the DOM beside the new one).
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition, type FormEvent } from "react";
import { KeyHint } from "@/components/ui/key-hint";
import { ORIGIN_LABELS, runOriginSchema, runStatusSchema } from "@/lib/schemas/run";
import {
  MAX_HISTORY_QUERY, RUN_RANGES, runHistoryQuery, type RunHistoryFilters, type RunRange,
} from "@/lib/schemas/run-history";

export interface HistoryFilterOptions {
  workflows: { id: number; title: string; name: string }[];
  /** Label names in the workspace (or of the selected workflow). */
  labels: string[];
  /** Version numbers of the selected workflow, newest first (empty with no workflow chosen). */
  versions: number[];
}

const field =
  "h-9 rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-800 focus:border-indigo-500 focus:outline-none dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";

/** An ISO time as the value of a datetime-local input, in the browser's time zone. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value).getTime(); // datetime-local values read as local time
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export function HistoryFilters({ base, filters, options }: { base: string; filters: RunHistoryFilters; options: HistoryFilterOptions }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [text, setText] = useState(filters.q ?? "");
  const custom = filters.from !== undefined || filters.to !== undefined;
  const [showCustom, setShowCustom] = useState(custom);
  const [from, setFrom] = useState(toLocalInput(filters.from));
  const [to, setTo] = useState(toLocalInput(filters.to));
  const [seen, setSeen] = useState(runHistoryQuery(filters));
  const current = runHistoryQuery(filters);
  if (current !== seen) {
    // The URL changed (a filter applied, back/forward, Clear): reset the fields from it.
    setSeen(current);
    setText(filters.q ?? "");
    setShowCustom(custom);
    setFrom(toLocalInput(filters.from));
    setTo(toLocalInput(filters.to));
  }

  // "/" anywhere on the page (outside a field) jumps to the search box, as in most consoles.
  const searchBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const target = e.target as HTMLElement | null;
      if (target?.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")) return;
      e.preventDefault();
      searchBox.current?.focus();
      searchBox.current?.select();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  function apply(change: Partial<RunHistoryFilters>) {
    const next = { ...filters, ...change };
    startTransition(() => router.push(`${base}${runHistoryQuery(next)}`));
  }

  function onSearch(event: FormEvent) {
    event.preventDefault();
    apply({ q: text.trim() || undefined });
  }

  function onRange(value: string) {
    if (value === "custom") {
      setShowCustom(true);
      return;
    }
    setShowCustom(false);
    apply({ range: value ? (value as RunRange) : undefined, from: undefined, to: undefined });
  }

  function applyCustom(event: FormEvent) {
    event.preventDefault();
    apply({ range: undefined, from: fromLocalInput(from), to: fromLocalInput(to) });
  }

  // "label:production" or "version:3" in one select.
  const versionValue = filters.label ? `label:${filters.label}` : filters.version ? `version:${filters.version}` : "";
  const labels = filters.label && !options.labels.includes(filters.label) ? [...options.labels, filters.label] : options.labels;
  const versions = filters.version && !options.versions.includes(filters.version) ? [...options.versions, filters.version] : options.versions;

  return (
    <div data-testid="run-filters" data-pending={pending ? "true" : "false"}
      className="mb-4 space-y-2 rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
      <div className="flex flex-wrap items-center gap-2">
        <form role="search" onSubmit={onSearch} className="flex min-w-[16rem] flex-1 gap-2">
          <div className="relative flex min-w-0 flex-1">
            <input
              ref={searchBox} type="search" name="q" value={text} maxLength={MAX_HISTORY_QUERY} onChange={(e) => setText(e.target.value)}
              placeholder="Search inputs, outputs, ids, metadata, errors…" aria-label="Search runs" data-testid="filter-q"
              aria-keyshortcuts="/"
              className={`${field} peer min-w-0 flex-1 pr-8`}
            />
            {/* The shortcut, while the box is neither focused nor filled. */}
            <KeyHint combo="/" className="pointer-events-none absolute right-2 top-1/2 -translate-y-1/2 peer-focus:hidden peer-[:not(:placeholder-shown)]:hidden" />
          </div>
          <button type="submit" data-testid="filter-search"
            className="h-9 rounded-md border border-slate-300 px-3 text-sm font-medium text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800">
            Search
          </button>
        </form>

        <select aria-label="Workflow" data-testid="filter-workflow" className={`${field} max-w-[14rem]`}
          value={filters.workflow ?? ""}
          onChange={(e) => apply({ workflow: e.target.value ? Number(e.target.value) : undefined, version: undefined, label: undefined })}>
          <option value="">All workflows</option>
          {options.workflows.map((w) => <option key={w.id} value={w.id}>{w.title}</option>)}
        </select>

        <select aria-label="Status" data-testid="filter-status" className={field} value={filters.status ?? ""}
          onChange={(e) => apply({ status: runStatusSchema.safeParse(e.target.value).data })}>
          <option value="">Any status</option>
          {runStatusSchema.options.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>

        <select aria-label="Label or version" data-testid="filter-version" className={`${field} max-w-[11rem]`} value={versionValue}
          onChange={(e) => {
            const [kind, value] = e.target.value.split(/:(.*)/s);
            apply({ label: kind === "label" ? value : undefined, version: kind === "version" ? Number(value) : undefined });
          }}>
          <option value="">Any version</option>
          {labels.length > 0 && (
            <optgroup label="Label">
              {labels.map((l) => <option key={l} value={`label:${l}`}>{l}</option>)}
            </optgroup>
          )}
          {versions.length > 0 && (
            <optgroup label="Version">
              {versions.map((v) => <option key={v} value={`version:${v}`}>v{v}</option>)}
            </optgroup>
          )}
        </select>

        <select aria-label="Origin" data-testid="filter-origin" className={field} value={filters.origin ?? ""}
          onChange={(e) => apply({ origin: runOriginSchema.safeParse(e.target.value).data })}>
          <option value="">Any origin</option>
          {runOriginSchema.options.map((o) => <option key={o} value={o}>{ORIGIN_LABELS[o]}</option>)}
        </select>

        <select aria-label="Time range" data-testid="filter-range" className={field}
          value={showCustom ? "custom" : filters.range ?? ""} onChange={(e) => onRange(e.target.value)}>
          <option value="">Any time</option>
          {Object.entries(RUN_RANGES).map(([key, r]) => <option key={key} value={key}>{r.label}</option>)}
          <option value="custom">Custom…</option>
        </select>
      </div>

      {showCustom && (
        <form onSubmit={applyCustom} data-testid="filter-custom-range" className="flex flex-wrap items-center gap-2 text-sm">
          <label className="flex items-center gap-1.5 text-slate-600 dark:text-slate-300">
            From <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} className={field} data-testid="filter-from" />
          </label>
          <label className="flex items-center gap-1.5 text-slate-600 dark:text-slate-300">
            to <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} className={field} data-testid="filter-to" />
          </label>
          <button type="submit" data-testid="filter-apply-range"
            className="h-9 rounded-md bg-indigo-600 px-3 text-sm font-medium text-white hover:bg-indigo-500">Apply</button>
          <span className="text-xs text-slate-500">Your local time; “to” is exclusive.</span>
        </form>
      )}

      {(pending || Object.values(filters).some((v) => v !== undefined)) && (
        <div className="flex items-center gap-3 text-xs text-slate-500">
          {pending && <span data-testid="filters-pending" aria-live="polite">Loading…</span>}
          {Object.values(filters).some((v) => v !== undefined) && (
            <Link href={base} data-testid="clear-filters-bar" className="text-indigo-600 hover:underline dark:text-indigo-400">
              Clear all filters
            </Link>
          )}
        </div>
      )}
    </div>
  );
}
