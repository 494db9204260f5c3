/**
 * The read-only page of one shared run, for anyone with the link (no sign-in). It shows the
 * run's result — the steps' timeline and the final outputs — and the inputs only when the
 * link includes them; a dead link is a plain 404 (./not-found.tsx).
 */
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { loadSharedRunPage } from "@/lib/services/share-links";
import { NotFoundError } from "@/lib/services/errors";
import { RunView } from "@/components/runs/run-view";
import { applyRunEvents, initialRunViewState } from "@/components/runs/run-view-state";
import { Until } from "@/components/share-links/link-times";
import { readThemeChoice } from "@/components/layout/theme-server";
import { ThemeToggle } from "@/components/layout/theme-toggle";

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Shared run",
  robots: { index: false, follow: false },
  // The token is in this page's URL: keep it out of the Referer of links in the outputs.
  referrer: "no-referrer",
};

export default async function SharedRunPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  let shared;
  try {
    shared = await loadSharedRunPage(token);
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    throw err;
  }
  const { run, stepSpecs, frames, includeInputs, expiresAt } = shared;
  const initial = applyRunEvents(initialRunViewState(stepSpecs, run.status), frames);
  const now = Date.now();
  return (
    <main className="mx-auto max-w-6xl px-4 py-6">
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <p className="text-xs uppercase tracking-wide text-slate-400">Shared run · read-only · Flowdeck</p>
          <h1 className="text-xl font-semibold" data-testid="shared-title">
            {run.workflow.title} <span className="text-base font-normal text-slate-500">v{run.versionNumber}</span>
          </h1>
          <p className="text-xs text-slate-500" data-testid="shared-scope">
            {includeInputs
              ? "This link includes the run's inputs, logs and streamed text."
              : "This link shows the result only: the steps' timeline and the final outputs. Inputs, step outputs and logs are not shared."}
          </p>
        </div>
        <div className="flex items-center gap-3">
          {expiresAt && (
            <p className="text-xs text-slate-500" data-testid="shared-expiry">
              Link expires <Until iso={expiresAt.toISOString()} now={now} />
            </p>
          )}
          <ThemeToggle initial={await readThemeChoice()} />
        </div>
      </div>
      {/* The key names the view only; the run's id is not needed by the page. */}
      <RunView runId={`share-${token.slice(0, 8)}`} streamUrl={`/api/share/${token}/events`} initial={initial}
        inputs={includeInputs ? run.inputs : null}
        // Shared streams never carry step outputs, and carry logs only with the inputs.
        hide={{ stepOutputs: true, logs: !includeInputs }} />
    </main>
  );
}
