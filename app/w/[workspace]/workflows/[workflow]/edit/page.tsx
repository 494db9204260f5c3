import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { definitionToText } from "@/lib/engine/definition-source";
import { NotFoundError } from "@/lib/services/errors";
import { can } from "@/lib/services/permissions";
import { getVersion, getWorkflowSummary } from "@/lib/services/workflows";
import { Card } from "@/components/ui/card";
import { PublishForm } from "@/components/workflows/publish-form";
import { WorkflowHeader, WorkflowNotFound } from "@/components/workflows/workflow-header";

export const metadata = { title: "Edit workflow" };

type Params = Promise<{ workspace: string; workflow: string }>;
type Search = Promise<{ from?: string }>;

export default async function EditWorkflowPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { workspace, workflow: ref } = await params;
  const { from } = await searchParams;
  const actor = await requireActor(workspace);
  let workflow, base;
  try {
    workflow = await getWorkflowSummary(actor, decodeURIComponent(ref));
    const latest = workflow.latestVersion ?? 1;
    base = await getVersion(actor, workflow.id, from && /^\d+$/.test(from) ? Number(from) : latest);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return <WorkflowNotFound workspace={workspace} message={err.message} />;
  }
  const canEdit = can(actor.role, "edit");
  const latest = workflow.latestVersion ?? base.number;
  const baseUrl = `/w/${workspace}/workflows/${encodeURIComponent(workflow.name)}`;

  return (
    <div className="space-y-4">
      <WorkflowHeader workspace={workspace} workflow={workflow} active="edit" />
      {!canEdit && (
        <p data-testid="workflow-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Viewers cannot edit or publish workflows; the definition is shown read-only. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}
      <Card title={<>Editing from v{base.number}{base.number === latest ? " (latest)" : ""}</>}
        actions={base.number !== latest
          ? <Link href={`${baseUrl}/edit`} className="text-sm text-indigo-600 hover:underline dark:text-indigo-400">Start from the latest (v{latest})</Link>
          : undefined}>
        {/* A key per base version: switching versions starts the editor afresh. */}
        <PublishForm key={base.number} workspace={workspace} workflow={workflow.name} baseVersion={base.number}
          baseText={definitionToText(base.definition)} nextVersion={latest + 1} canEdit={canEdit} />
      </Card>
    </div>
  );
}
