/** Small display formatters shared by console pages. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

export function formatRelative(date: Date | string, now = Date.now()): string {
  const t = typeof date === "string" ? Date.parse(date) : date.getTime();
  const s = Math.round((now - t) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** "in 5 min", "in 3 h", "in 6 d" for a time ahead of `now` (a past time reads "… ago"). */
export function formatUntil(date: Date | string, now = Date.now()): string {
  const t = typeof date === "string" ? Date.parse(date) : date.getTime();
  const s = Math.round((t - now) / 1000);
  if (s <= 0) return formatRelative(new Date(t), now);
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  // Nearest unit: a 1-day link reads "in 1 d" just after it is made, not "in 24 h".
  if (s < 86_400 - 1800) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} d`;
}

/** The exact time shown on hover: "2026-11-22 10:31:05 UTC". */
export function formatExactUtc(date: Date | string): string {
  const iso = typeof date === "string" ? new Date(date).toISOString() : date.toISOString();
  return `${iso.replace("T", " ").slice(0, 19)} UTC`;
}
