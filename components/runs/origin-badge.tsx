import { ORIGIN_LABELS, type RunOrigin } from "@/lib/schemas/run";

/** Where a run came from: the console, Flowdeck's API, or one of the compatibility APIs. */
export function OriginBadge({ origin }: { origin: string }) {
  const compat = !["ui", "api", "rerun"].includes(origin);
  return (
    <span
      data-origin={origin}
      className={`inline-flex rounded px-1.5 py-0.5 text-xs ${compat ? "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300" : "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300"}`}
    >
      {ORIGIN_LABELS[origin as RunOrigin] ?? origin}
    </span>
  );
}
