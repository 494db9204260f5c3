/** Times on share links: relative words, with the exact UTC time on hover. */
import { formatRelative } from "@/components/ui/format";

/** "in 5 min", "in 3 h", "in 6 d" for a time ahead of `now`. */
export function formatUntil(iso: string, now: number): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return formatRelative(iso, now);
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  // Nearest unit: a 1-day link reads "in 1 d" just after it is made, not "in 24 h".
  if (s < 86_400 - 1800) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} d`;
}

export function exactUtc(iso: string): string {
  return `${iso.replace("T", " ").slice(0, 19)} UTC`;
}

/** A past time as words ("5 min ago"), exact on hover. */
export function Ago({ iso, now }: { iso: string; now: number }) {
  return <time dateTime={iso} title={exactUtc(iso)}>{formatRelative(iso, now)}</time>;
}

/** A future time as words ("in 3 h"), exact on hover. */
export function Until({ iso, now }: { iso: string; now: number }) {
  return <time dateTime={iso} title={exactUtc(iso)}>{formatUntil(iso, now)}</time>;
}
