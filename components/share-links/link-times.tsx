/** Times on share links: relative words, with the exact UTC time on hover. */
import { formatExactUtc, formatUntil } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";

export { formatUntil };

export function exactUtc(iso: string): string {
  return formatExactUtc(iso);
}

/** A past time as words ("5 min ago"), exact on hover (a clock a little behind reads "just now"). */
export function Ago({ iso, now }: { iso: string; now: number }) {
  return <RelativeTime at={iso} now={Math.max(now, Date.parse(iso))} />;
}

/** A future time as words ("in 3 h"), exact on hover. */
export function Until({ iso, now }: { iso: string; now: number }) {
  return <RelativeTime at={iso} now={now} />;
}
