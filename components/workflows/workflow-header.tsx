/** The top of every workflow page: breadcrumb, title, description and the tabs (Run, Versions & labels, Edit, Compare). */
import Link from "next/link";
import type { ReactNode } from "react";
import { RelativeTime } from "@/components/ui/relative-time";

export type WorkflowTab = "run" | "versions" | "edit" | "compare";

const TABS: { id: WorkflowTab; label: string; path: string }[] = [
  { id: "run", label: "Run", path: "" },
  { id: "versions", label: "Versions & labels", path: "/versions" },
  { id: "edit", label: "Edit", path: "/edit" },
  { id: "compare", label: "Compare", path: "/compare" },
];

export function WorkflowHeader(props: {
  workspace: string;
  workflow: { name: string; title: string; description: string };
  active: WorkflowTab;
  /** Controls on the right of the title (e.g. the version picker). */
  children?: ReactNode;
}) {
  const { workspace, workflow, active } = props;
  const base = `/w/${workspace}/workflows/${encodeURIComponent(workflow.name)}`;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <Link href={`/w/${workspace}/workflows`} className="text-sm text-slate-500 hover:underline">Workflows</Link>
          <div className="flex flex-wrap items-baseline gap-x-2">
            <h1 className="text-xl font-semibold">{workflow.title}</h1>
            {workflow.title !== workflow.name && <span className="font-mono text-sm text-slate-400">{workflow.name}</span>}
          </div>
          {workflow.description && <p className="text-sm text-slate-500">{workflow.description}</p>}
        </div>
        {props.children}
      </div>
      <nav aria-label="Workflow sections" data-testid="workflow-tabs" className="flex gap-1 overflow-x-auto border-b border-slate-200 text-sm dark:border-slate-800">
        {TABS.map((tab) => (
          <Link key={tab.id} href={`${base}${tab.path}`} aria-current={tab.id === active ? "page" : undefined}
            className={`-mb-px whitespace-nowrap border-b-2 px-3 py-2 ${tab.id === active
              ? "border-indigo-600 font-medium text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
              : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white"}`}>
            {tab.label}
          </Link>
        ))}
      </nav>
    </div>
  );
}

/** What a workflow page shows for a name that is not in this workspace. */
export function WorkflowNotFound({ workspace, message }: { workspace: string; message: string }) {
  return (
    <div role="alert" data-testid="page-error" className="rounded-lg border border-amber-300 bg-amber-50 p-6 dark:border-amber-800 dark:bg-amber-950">
      <h1 className="font-semibold">{message}</h1>
      <p className="mt-1 text-sm">It may have been renamed, or it belongs to another workspace.</p>
      <Link href={`/w/${workspace}/workflows`} className="mt-3 inline-block text-sm text-indigo-600 hover:underline dark:text-indigo-400">← All workflows</Link>
    </div>
  );
}

/** A time in words, with the exact UTC time on hover. */
export function When({ at, now }: { at: Date; now: number }) {
  return <RelativeTime at={at} now={now} />;
}

