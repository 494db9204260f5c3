/**
 * What a list shows when it has nothing in it: an icon, a line that says so, a sentence on
 * what goes here, and the next thing to do (a link or button), like the consoles people
 * compare us with. Server-safe: no client code.
 */
import type { ReactNode } from "react";

export type EmptyIcon = "workflow" | "runs" | "key" | "lock" | "people" | "link" | "search";

const PATHS: Record<EmptyIcon, ReactNode> = {
  workflow: <path d="M4 5.5h4v4H4zM12 10.5h4v4h-4zM8 7.5h2a2 2 0 0 1 2 2v3" />,
  runs: <path d="M5 4.5v11l10-5.5z" />,
  key: <path d="M11.5 8.5a3.5 3.5 0 1 1 0 .01M9 10.5 3.5 16M5.5 14l1.5 1.5" />,
  lock: <path d="M5.5 9h9v7h-9zM7.5 9V6.5a2.5 2.5 0 0 1 5 0V9" />,
  people: <path d="M7.5 9a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM3 16c0-2.5 2-4 4.5-4s4.5 1.5 4.5 4M13 4.3a2.5 2.5 0 0 1 0 4.4M14.5 12c1.6.5 2.5 1.8 2.5 4" />,
  link: <path d="M8.5 11.5l3-3M9.5 6l1-1a3 3 0 0 1 4.5 4.5l-1 1M10.5 14l-1 1A3 3 0 0 1 5 10.5l1-1" />,
  search: <path d="M9 14a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM12.7 12.7 16.5 16.5" />,
};

export function EmptyState({ icon, title, children, action, testId, className = "" }: {
  icon: EmptyIcon;
  title: ReactNode;
  /** What goes here, in a sentence. */
  children?: ReactNode;
  /** The next step: a link or button (or a few). */
  action?: ReactNode;
  testId?: string;
  className?: string;
}) {
  return (
    <div data-testid={testId}
      className={`flex flex-col items-center rounded-lg border border-dashed border-slate-300 px-6 py-8 text-center dark:border-slate-700 ${className}`}>
      <span aria-hidden="true" className="mb-3 flex h-10 w-10 items-center justify-center rounded-full bg-slate-100 text-slate-500 dark:bg-slate-800 dark:text-slate-400">
        <svg viewBox="0 0 20 20" width="20" height="20" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
          {PATHS[icon]}
        </svg>
      </span>
      <p className="font-medium text-slate-800 dark:text-slate-100">{title}</p>
      {children && <div className="mt-1 max-w-md text-sm text-slate-500 dark:text-slate-400">{children}</div>}
      {action && <div className="mt-4 flex flex-wrap items-center justify-center gap-2 text-sm">{action}</div>}
    </div>
  );
}
