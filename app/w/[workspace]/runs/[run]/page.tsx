import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { getRunDetail } from "@/lib/services/runs";
import { getRunDocument } from "@/lib/services/run-documents";
import { getRunLineage, listReusedSteps } from "@/lib/services/run-lineage";
import { loadRerunOptions, loadRunPageData } from "@/lib/services/run-page";
import { NotFoundError } from "@/lib/services/errors";
import { can } from "@/lib/services/permissions";
import { RelativeTime } from "@/components/ui/relative-time";
import { CancelRunButton } from "@/components/runs/cancel-run-button";
import { OriginBadge } from "@/components/runs/origin-badge";
import { RerunPanel } from "@/components/runs/rerun-panel";
import { CallbackDeliveries, RunDetails } from "@/components/runs/run-details";
import { RunLineage } from "@/components/runs/run-lineage";
import { RunView } from "@/components/runs/run-view";
import { ShareButton } from "@/components/runs/share-button";
import { applyRunEvents, initialRunViewState } from "@/components/runs/run-view-state";

export const metadata = { title: "Run" };

type Params = Promise<{ workspace: string; run: string }>;
type Search = Promise<{ rerun?: string; version?: string; label?: string; from?: string }>;

export default async function RunPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { workspace, run: runId } = await params;
  const search = await searchParams;
  const actor = await requireActor(workspace);
  let run;
  try {
    run = await getRunDetail(actor, runId);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return <p role="alert" className="rounded-lg border border-amber-300 bg-amber-50 p-6 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
        Run not found. <Link href={`/w/${workspace}/runs`} className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">Back to runs</Link>
      </p>;
  }
  const canRun = can(actor.role, "run");
  const now = Date.now();
  const [{ stepSpecs, frames, definition }, doc, lineage] = await Promise.all([
    loadRunPageData(run), getRunDocument(actor, run.uuid), getRunLineage(actor, run),
  ]);
  const reused = await listReusedSteps(actor, run, definition);
  const initial = applyRunEvents(
    initialRunViewState(stepSpecs, run.status, reused.map((s) => ({ stepId: s.stepId, output: s.output, durationMs: s.durationMs ?? undefined }))),
    frames,
  );
  const runPath = `/w/${workspace}/runs/${run.uuid}`;
  const rerunOpen = search.rerun === "1";
  const rerun = rerunOpen && canRun
    ? await loadRerunOptions(actor, run, {
        label: search.label || null,
        version: search.version && /^\d{1,9}$/.test(search.version) ? Number(search.version) : null,
      })
    : null;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="min-w-0">
          <Link href={`/w/${workspace}/runs`} className="text-sm text-slate-500 hover:underline">Runs</Link>
          <h1 className="text-xl font-semibold">
            <Link href={`/w/${workspace}/workflows/${run.workflow.name}`} className="hover:underline">{run.workflow.title}</Link>
            <span className="ml-2 text-base font-normal text-slate-500" data-testid="run-version">v{run.versionNumber}</span>
            {run.label && <span data-testid="run-label" className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-normal text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">{run.label}</span>}
          </h1>
          <p className="font-mono text-xs text-slate-400">
            run <span data-testid="run-id">{run.uuid}</span> · <OriginBadge origin={run.origin} /> · started{" "}
            <RelativeTime at={run.createdAt} now={now} live testId="run-created" />
          </p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          {canRun ? (
            <>
              <CancelRunButton workspace={workspace} runId={run.uuid} initialStatus={run.status} />
              <Link href={rerunOpen ? runPath : `${runPath}?rerun=1`} scroll={false} data-testid="rerun-open"
                className="inline-flex items-center justify-center gap-2 rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800">
                ↻ Re-run…
              </Link>
              <ShareButton workspace={workspace} runId={run.uuid} />
            </>
          ) : (
            <p className="max-w-xs text-right text-xs text-slate-500" data-testid="run-read-only">
              View only: your role ({actor.role}) cannot cancel, re-run or share runs.
            </p>
          )}
        </div>
      </div>

      <RunLineage workspace={workspace} parent={lineage.parent} isRerun={run.parentRunId != null} fromStep={run.rerunFromStep}
        reusedSteps={reused.map((s) => s.stepId)} reruns={lineage.reruns} rerunCount={lineage.rerunCount} />

      {rerunOpen && !canRun && (
        <p role="alert" data-testid="rerun-refused" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
          Viewers cannot start runs, so this run cannot be re-run from your account; ask an admin for the member role.
        </p>
      )}
      {rerun && (
        <RerunPanel key={`${rerun.target.kind}:${rerun.target.label ?? rerun.target.version}`} workspace={workspace} runId={run.uuid}
          workflow={run.workflow.name} runVersion={run.versionNumber} runLabel={run.label} target={rerun.target}
          versions={rerun.versions} labels={rerun.labels} inputs={rerun.inputs} steps={rerun.steps} reuse={rerun.reuse}
          runInputs={run.inputs} notice={rerun.notice} initialFromStep={search.from} closeHref={runPath} />
      )}

      <RunView runId={run.uuid} streamUrl={`/api/v1/runs/${run.uuid}/events?workspace=${encodeURIComponent(workspace)}`}
        initial={initial} inputs={run.inputs} secretsHref={`/w/${workspace}/settings/secrets`} workspace={workspace}
        aside={
          <>
            <RunDetails run={doc} workspace={workspace} />
            {doc.callback && <CallbackDeliveries callback={doc.callback} />}
          </>
        } />
    </div>
  );
}
