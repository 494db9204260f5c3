/**
 * Loading placeholders for the console's loading.tsx files: grey bars in the shape of the page
 * that is on its way, so nothing jumps when it arrives. Server components, no client code.
 */
import type { ReactNode } from "react";

export function SkeletonBar({ className }: { className: string }) {
  return <div className={`animate-pulse rounded bg-slate-200 motion-reduce:animate-none dark:bg-slate-800 ${className}`} />;
}

/** A card with a title bar and `rows` text lines. */
export function SkeletonPanel({ rows, title = "w-24", className = "" }: { rows: number; title?: string; className?: string }) {
  return (
    <div className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${className}`}>
      <SkeletonBar className={`mb-4 h-4 ${title}`} />
      <div className="space-y-3">
        {Array.from({ length: rows }, (_, i) => <SkeletonBar key={i} className={`h-3 ${i % 3 === 2 ? "w-2/3" : "w-full"}`} />)}
      </div>
    </div>
  );
}

/** The page title block: a small label above, the heading, and a line of description. */
export function SkeletonHeading({ label = true, description = true }: { label?: boolean; description?: boolean }) {
  return (
    <div className="space-y-2">
      {label && <SkeletonBar className="h-3 w-16" />}
      <SkeletonBar className="h-6 w-48" />
      {description && <SkeletonBar className="h-3 w-[28rem] max-w-full" />}
    </div>
  );
}

/** The outer box: announced once as busy to screen readers, with what is loading. */
export function SkeletonPage({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  return (
    <div className="space-y-4" data-testid={testId} role="status" aria-busy="true" aria-live="polite">
      <span className="sr-only">{label}</span>
      {children}
    </div>
  );
}
