import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { can } from "@/lib/services/permissions";
import { Card } from "@/components/ui/card";
import { NewWorkflowForm } from "@/components/workflows/new-workflow-form";

export const metadata = { title: "New workflow" };

type Search = Promise<{ import?: string }>;

export default async function NewWorkflowPage({ params, searchParams }: { params: Promise<{ workspace: string }>; searchParams: Search }) {
  const { workspace } = await params;
  const importFirst = (await searchParams).import === "1";
  const actor = await requireActor(workspace);
  const canEdit = can(actor.role, "edit");

  return (
    <div className="space-y-4">
      <div>
        <Link href={`/w/${workspace}/workflows`} className="text-sm text-slate-500 hover:underline">Workflows</Link>
        <h1 className="text-xl font-semibold">{importFirst ? "Import a workflow" : "New workflow"}</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-500">
          {importFirst
            ? "Paste a JSON or YAML definition below, or import a file. A workflow file may also carry its name, title and description."
            : "Start from the example below or paste your own definition. See docs/workflows.md for the step kinds and their settings."}
        </p>
      </div>
      {!canEdit && (
        <p data-testid="workflow-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Viewers cannot create workflows. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}
      <Card>
        <NewWorkflowForm workspace={workspace} importFirst={importFirst} canEdit={canEdit} />
      </Card>
    </div>
  );
}
