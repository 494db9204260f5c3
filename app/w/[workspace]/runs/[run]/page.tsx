import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { getRunDetail } from "@/lib/services/runs";
import { loadRunPageData } from "@/lib/services/run-page";
import { NotFoundError } from "@/lib/services/errors";
import { can } from "@/lib/services/permissions";
import { OriginBadge } from "@/components/runs/origin-badge";
import { RunView } from "@/components/runs/run-view";
import { ShareButton } from "@/components/runs/share-button";
import { applyRunEvents, initialRunViewState } from "@/components/runs/run-view-state";

export const metadata = { title: "Run" };

export default async function RunPage({ params }: { params: Promise<{ workspace: string; run: string }> }) {
  const { workspace, run: runId } = await params;
  const actor = await requireActor(workspace);
  let run;
  try {
    run = await getRunDetail(actor, runId);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return <p role="alert" className="rounded-lg border border-amber-300 bg-amber-50 p-6 dark:bg-amber-950">Run not found.</p>;
  }
  const { stepSpecs, frames } = await loadRunPageData(run);
  const initial = applyRunEvents(initialRunViewState(stepSpecs, run.status), frames);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <Link href={`/w/${workspace}/runs`} className="text-sm text-slate-500 hover:underline">Runs</Link>
          <h1 className="text-xl font-semibold">
            <Link href={`/w/${workspace}/workflows/${run.workflow.name}`} className="hover:underline">{run.workflow.title}</Link>
            <span className="ml-2 text-base font-normal text-slate-500">v{run.versionNumber}</span>
            {run.label && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-normal text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">{run.label}</span>}
          </h1>
          <p className="font-mono text-xs text-slate-400" title={run.createdAt.toISOString()}>run {run.uuid} · <OriginBadge origin={run.origin} /> · started {run.createdAt.toISOString().replace("T", " ").slice(0, 19)} UTC</p>
        </div>
        {can(actor.role, "run") && <ShareButton workspace={workspace} runId={run.uuid} />}
      </div>
      <RunView runId={run.uuid} streamUrl={`/api/v1/runs/${run.uuid}/events?workspace=${encodeURIComponent(workspace)}`}
        initial={initial} inputs={run.inputs} secretsHref={`/w/${workspace}/settings/secrets`} />
    </div>
  );
}
