import { getSharedRun } from "@/lib/services/share-links";
import { loadRunPageData } from "@/lib/services/run-page";
import { NotFoundError } from "@/lib/services/errors";
import { RunView } from "@/components/runs/run-view";
import { applyRunEvents, initialRunViewState } from "@/components/runs/run-view-state";

export const metadata = { title: "Shared run", robots: { index: false } };

export default async function SharedRunPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  let shared;
  try {
    shared = await getSharedRun(token);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return (
      <main className="mx-auto max-w-xl px-4 py-16 text-center">
        <h1 className="text-xl font-semibold">This link does not work</h1>
        <p className="mt-2 text-slate-500">It may have expired or been revoked. Ask whoever shared it for a new one.</p>
      </main>
    );
  }
  const { run } = shared;
  const { stepSpecs, frames } = await loadRunPageData(run);
  const initial = applyRunEvents(initialRunViewState(stepSpecs, run.status), frames);
  return (
    <main className="mx-auto max-w-6xl px-4 py-6">
      <div className="mb-4">
        <p className="text-xs uppercase tracking-wide text-slate-400">Shared run · read-only · Flowdeck</p>
        <h1 className="text-xl font-semibold" data-testid="shared-title">{run.workflow.title} <span className="text-base font-normal text-slate-500">v{run.versionNumber}</span></h1>
      </div>
      <RunView runId={run.uuid} streamUrl={`/api/share/${token}/events`} initial={initial} inputs={run.inputs} />
    </main>
  );
}
