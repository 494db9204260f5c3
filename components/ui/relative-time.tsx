"use client";
/**
 * A time in words ("5 min ago", "in 3 h") with the exact UTC time on hover and in
 * `dateTime`. Server-rendered pages pass the server's `now`, so the browser's first render
 * says the same words as the HTML; with `live` the words then keep up while the page stays
 * open (a quiet 15-second clock, in this element only).
 */
import { useEffect, useState } from "react";
import { formatExactUtc, formatRelative, formatUntil } from "./format";

export function RelativeTime({ at, now, live = true, className, testId }: {
  at: Date | string;
  /** The clock the words are measured from (ms). Pass the server's when the page is server-rendered. */
  now?: number;
  /** Keep the words current while the page is open (default; pass false for a frozen time). */
  live?: boolean;
  className?: string;
  testId?: string;
}) {
  const iso = typeof at === "string" ? new Date(at).toISOString() : at.toISOString();
  const [start] = useState(() => now ?? Date.now());
  const [clock, setClock] = useState<number | null>(null);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setClock(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, [live]);
  const reference = clock ?? now ?? start;
  const words = Date.parse(iso) > reference ? formatUntil(iso, reference) : formatRelative(iso, reference);
  return (
    <time dateTime={iso} title={formatExactUtc(iso)} className={className} data-testid={testId}>
      {words}
    </time>
  );
}
