/**
 * Runs history: filters and text search held in the URL, keyset pages (Newer / Older) that
 * keep the filters, and bulk cancel / re-run for members and up.
 */
import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { can } from "@/lib/services/permissions";
import { listRuns } from "@/lib/services/runs";
import { listWorkflowChoices } from "@/lib/services/workflows";
import { runOriginSchema } from "@/lib/schemas/run";
import {
  filtersOnly, hasActiveFilters, parseRunHistorySearch, runHistoryQuery, runHistoryTimeBounds,
} from "@/lib/schemas/run-history";
import { HistoryFilters } from "@/components/runs/history-filters";
import { HistoryTable, type HistoryRow } from "@/components/runs/history-table";
import { buttonClasses } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

export const metadata = { title: "Runs" };

const PAGE_SIZE = 25;

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function RunsPage({ params, searchParams }: { params: Promise<{ workspace: string }>; searchParams: Search }) {
  const { workspace } = await params;
  const state = parseRunHistorySearch(await searchParams);
  const filters = filtersOnly(state);
  const actor = await requireActor(workspace);
  const now = Date.now();
  const [{ runs, nextCursor, prevCursor }, workflows] = await Promise.all([
    listRuns(actor, {
      workflowId: filters.workflow, status: filters.status, origin: filters.origin,
      label: filters.label, versionNumber: filters.version, q: filters.q,
      ...runHistoryTimeBounds(filters, now),
      before: state.before, after: state.before ? undefined : state.after, limit: PAGE_SIZE,
    }),
    listWorkflowChoices(actor),
  ]);

  const base = `/w/${workspace}/runs`;
  const href = (change: Parameters<typeof runHistoryQuery>[0]) => `${base}${runHistoryQuery(change)}`;
  const selected = workflows.find((w) => w.id === filters.workflow);
  const labels = [...new Set((selected ? [selected] : workflows).flatMap((w) => w.labels))].sort();
  const versions = selected?.latestVersion ? Array.from({ length: selected.latestVersion }, (_, i) => selected.latestVersion! - i) : [];
  const filtered = hasActiveFilters(filters);
  const paged = state.before !== undefined || state.after !== undefined;

  const rows: HistoryRow[] = runs.map((r) => ({
    uuid: r.uuid, status: r.status, workflowTitle: r.workflow.title, versionNumber: r.versionNumber, label: r.label,
    origin: r.origin, originHref: href({ ...filters, origin: runOriginSchema.safeParse(r.origin).data }),
    createdAt: r.createdAt.toISOString(), elapsedMs: r.elapsedMs, errorMessage: r.errorMessage,
    externalId: r.externalId, isRerun: r.parentRunId != null,
  }));

  return (
    <div>
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-3">
        <h1 className="text-xl font-semibold">Runs</h1>
        {!can(actor.role, "run") && (
          <p data-testid="runs-read-only" className="text-sm text-slate-500">
            You are a viewer here: you can look at runs, not cancel or re-run them.
          </p>
        )}
      </div>

      <HistoryFilters base={base} filters={filters}
        options={{ workflows: workflows.map((w) => ({ id: w.id, title: w.title, name: w.name })), labels, versions }} />

      <HistoryTable resetKey={runHistoryQuery(state)} workspace={workspace} rows={rows} now={now} canBulk={can(actor.role, "run")}>
        {filtered ? (
          <EmptyState icon="search" testId="runs-empty" title="No runs match these filters."
            action={<Link href={base} data-testid="clear-filters" className={buttonClasses("secondary")}>Clear filters</Link>}>
            Clear filters to see every run, or widen the time range.
          </EmptyState>
        ) : paged ? (
          <EmptyState icon="runs" testId="runs-empty" title="No older runs."
            action={<Link href={base} className={buttonClasses("secondary")}>Back to the newest</Link>} />
        ) : (
          <EmptyState icon="runs" testId="runs-empty" title="No runs yet."
            action={<Link href={`/w/${workspace}/workflows`} className={buttonClasses("primary")}>Run a workflow</Link>}>
            Runs started here, over the API or through a compatible client all show up in this list.
          </EmptyState>
        )}
      </HistoryTable>

      <nav aria-label="Pages" className="mt-3 flex items-center justify-between text-sm">
        {prevCursor !== null ? (
          <Link href={href({ ...filters, after: prevCursor })} data-testid="page-newer" className="text-indigo-600 hover:underline dark:text-indigo-400">← Newer</Link>
        ) : <span />}
        {nextCursor !== null && (
          <Link href={href({ ...filters, before: nextCursor })} data-testid="page-older" className="text-indigo-600 hover:underline dark:text-indigo-400">Older →</Link>
        )}
      </nav>
    </div>
  );
}
