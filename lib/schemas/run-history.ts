/**
 * The runs history's filter state, as it lives in the URL (`/w/{ws}/runs?status=failed&…`):
 * parsed on the server page, written by the filter bar. A value that does not parse is
 * dropped, so a hand-edited or stale URL still shows a page.
 */
import { runOriginSchema, runStatusSchema, type RunOrigin, type RunStatus } from "./run";

/** Time range presets, newest runs back to `ms` ago. */
export const RUN_RANGES = {
  "1h": { label: "Last hour", ms: 3_600_000 },
  "24h": { label: "Last 24 hours", ms: 86_400_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000 },
} as const;
export type RunRange = keyof typeof RUN_RANGES;

export const MAX_HISTORY_QUERY = 200;

export interface RunHistoryFilters {
  /** Workflow integer id. */
  workflow?: number;
  status?: RunStatus;
  origin?: RunOrigin;
  label?: string;
  /** Version number. */
  version?: number;
  range?: RunRange;
  /** Custom range bounds, ISO timestamps (UTC). */
  from?: string;
  to?: string;
  q?: string;
}

export interface RunHistoryCursor {
  before?: number;
  after?: number;
}

type RawSearch = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
const positiveInt = (v: string | undefined) => (v && /^\d{1,15}$/.test(v) && Number(v) > 0 ? Number(v) : undefined);
const isoTime = (v: string | undefined) => (v && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v)).toISOString() : undefined);

export function parseRunHistorySearch(raw: RawSearch): RunHistoryFilters & RunHistoryCursor {
  const status = runStatusSchema.safeParse(one(raw.status));
  const origin = runOriginSchema.safeParse(one(raw.origin));
  const range = one(raw.range);
  const label = one(raw.label);
  const from = isoTime(one(raw.from));
  const to = isoTime(one(raw.to));
  const custom = from !== undefined || to !== undefined;
  return {
    workflow: positiveInt(one(raw.workflow)),
    status: status.success ? status.data : undefined,
    origin: origin.success ? origin.data : undefined,
    label: label && label.length <= 100 ? label : undefined,
    version: positiveInt(one(raw.version)),
    // A custom from/to wins over a preset.
    range: !custom && range && range in RUN_RANGES ? (range as RunRange) : undefined,
    from,
    to,
    q: one(raw.q)?.slice(0, MAX_HISTORY_QUERY),
    before: positiveInt(one(raw.before)),
    after: positiveInt(one(raw.after)),
  };
}

/** The query string of a filter state and cursor (keys in a fixed order; empty values left out). */
export function runHistoryQuery(state: RunHistoryFilters & RunHistoryCursor): string {
  const q = new URLSearchParams();
  const keys = ["workflow", "status", "label", "version", "origin", "range", "from", "to", "q", "before", "after"] as const;
  for (const key of keys) {
    const value = state[key];
    if (value !== undefined && value !== "") q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function hasActiveFilters(f: RunHistoryFilters): boolean {
  return [f.workflow, f.status, f.origin, f.label, f.version, f.range, f.from, f.to, f.q].some((v) => v !== undefined);
}

/** The created-at bounds the filters mean at `now`. */
export function runHistoryTimeBounds(f: RunHistoryFilters, now: number): { createdAfter?: Date; createdBefore?: Date } {
  if (f.range) return { createdAfter: new Date(now - RUN_RANGES[f.range].ms) };
  return {
    ...(f.from ? { createdAfter: new Date(f.from) } : {}),
    ...(f.to ? { createdBefore: new Date(f.to) } : {}),
  };
}

/** Only the filters (no cursor): what a filter change keeps. */
export function filtersOnly(state: RunHistoryFilters & RunHistoryCursor): RunHistoryFilters {
  const filters: RunHistoryFilters & RunHistoryCursor = { ...state };
  delete filters.before;
  delete filters.after;
  return filters;
}
