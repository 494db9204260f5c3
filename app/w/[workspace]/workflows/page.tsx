import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { can } from "@/lib/services/permissions";
import { listWorkflows } from "@/lib/services/workflows";
import { buttonClasses } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

export const metadata = { title: "Workflows" };

export default async function WorkflowsPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await params;
  const actor = await requireActor(workspace);
  const workflows = await listWorkflows(actor);
  const canEdit = can(actor.role, "edit");
  return (
    <div>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-xl font-semibold">Workflows</h1>
        {canEdit && (
          <div className="flex gap-2">
            <Link href={`/w/${workspace}/workflows/new?import=1`} data-testid="import-workflow" className={buttonClasses("secondary")}>
              Import
            </Link>
            <Link href={`/w/${workspace}/workflows/new`} data-testid="new-workflow" className={buttonClasses("primary")}>
              New workflow
            </Link>
          </div>
        )}
      </div>
      {workflows.length === 0 ? (
        <EmptyState icon="workflow" title="No workflows yet" testId="workflows-empty"
          action={canEdit && (
            <>
              <Link href={`/w/${workspace}/workflows/new`} className={buttonClasses("primary")}>Create a workflow</Link>
              <Link href={`/w/${workspace}/workflows/new?import=1`} className={buttonClasses("secondary")}>Import JSON or YAML</Link>
            </>
          )}>
          {canEdit
            ? "A workflow is a set of typed inputs and steps. Start from an example, or import a definition you already have."
            : "Members of this workspace can create them; you will see them here."}
        </EmptyState>
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {workflows.map((w) => (
            <li key={w.id}>
              <Link href={`/w/${workspace}/workflows/${w.name}`} data-testid={`workflow-${w.name}`}
                className="block h-full rounded-lg border border-slate-200 bg-white p-4 shadow-sm transition hover:border-indigo-400 hover:shadow focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 dark:border-slate-800 dark:bg-slate-900 dark:hover:border-indigo-500">
                <div className="flex items-baseline justify-between gap-2">
                  <span className="font-medium">{w.title}</span>
                  <span className="font-mono text-xs text-slate-400">{w.name}</span>
                </div>
                <p className="mt-1 text-sm text-slate-500">{w.description}</p>
                <div className="mt-3 flex flex-wrap gap-1.5 text-xs">
                  {w.latestVersion && <span className="rounded bg-slate-100 px-1.5 py-0.5 dark:bg-slate-800">latest v{w.latestVersion}</span>}
                  {w.labels.map((l) => (
                    <span key={l.name} className="rounded bg-indigo-50 px-1.5 py-0.5 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">{l.name} → v{l.version}</span>
                  ))}
                </div>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
