import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { getWorkflowOverview, resolveVersionOf } from "@/lib/services/workflows";
import { NotFoundError } from "@/lib/services/errors";
import { can } from "@/lib/services/permissions";
import { Card } from "@/components/ui/card";
import { RunForm } from "@/components/runs/run-form";
import { VersionPicker } from "@/components/workflows/version-picker";
import { WorkflowHeader, WorkflowNotFound } from "@/components/workflows/workflow-header";

type Params = Promise<{ workspace: string; workflow: string }>;
type Search = Promise<{ label?: string; version?: string }>;

export default async function WorkflowPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { workspace, workflow: workflowName } = await params;
  const search = await searchParams;
  const actor = await requireActor(workspace);
  const label = search.label || null;
  const versionNumber = search.version && /^\d+$/.test(search.version) ? Number(search.version) : null;

  let overview, resolved;
  try {
    overview = await getWorkflowOverview(actor, decodeURIComponent(workflowName));
    resolved = await resolveVersionOf(actor, overview.workflow, { label, version: versionNumber });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return <WorkflowNotFound workspace={workspace} message={err.message} />;
  }
  const { workflow, versions, labels } = overview;
  const selected = label ? `label:${label}` : versionNumber ? `version:${versionNumber}` : "latest";

  return (
    <div className="space-y-4">
      <WorkflowHeader workspace={workspace} workflow={workflow} active="run">
        <VersionPicker labels={labels} versions={versions} selected={selected} />
      </WorkflowHeader>
      <div className="grid gap-4 lg:grid-cols-3">
        <Card title={<>Run v{resolved.version.number}{label && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">{label}</span>}</>} className="lg:col-span-2">
          <RunForm key={`${resolved.version.id}`} workspace={workspace} workflow={workflow.name} label={label}
            version={label ? null : versionNumber} inputs={resolved.definition.inputs} canRun={can(actor.role, "run")} />
        </Card>
        <Card title="Steps">
          <ol className="space-y-2 text-sm">
            {resolved.definition.steps.map((s, i) => (
              <li key={s.id} className="flex items-center gap-2">
                <span className="flex h-5 w-5 items-center justify-center rounded-full bg-slate-100 text-xs dark:bg-slate-800">{i + 1}</span>
                <span>{s.name ?? s.id}</span>
                <span className="ml-auto font-mono text-xs text-slate-400">{s.kind}</span>
              </li>
            ))}
          </ol>
          <Link href={`/w/${workspace}/runs?workflow=${workflow.id}`} className="mt-4 inline-block text-sm text-indigo-600 hover:underline dark:text-indigo-400">Runs of this workflow →</Link>
        </Card>
      </div>
    </div>
  );
}
