import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { listRuns } from "@/lib/services/runs";
import { runOriginSchema, runStatusSchema } from "@/lib/schemas/run";
import { OriginBadge } from "@/components/runs/origin-badge";
import { StatusBadge } from "@/components/runs/status-badge";
import { formatDuration, formatRelative } from "@/components/ui/format";

export const metadata = { title: "Runs" };

type Search = Promise<{ workflow?: string; status?: string; origin?: string; before?: string }>;

export default async function RunsPage({ params, searchParams }: { params: Promise<{ workspace: string }>; searchParams: Search }) {
  const { workspace } = await params;
  const search = await searchParams;
  const actor = await requireActor(workspace);
  const status = runStatusSchema.safeParse(search.status);
  const origin = runOriginSchema.safeParse(search.origin);
  const { runs, nextCursor } = await listRuns(actor, {
    workflowId: search.workflow && /^\d+$/.test(search.workflow) ? Number(search.workflow) : undefined,
    status: status.success ? status.data : undefined,
    origin: origin.success ? origin.data : undefined,
    before: search.before && /^\d+$/.test(search.before) ? Number(search.before) : undefined,
    limit: 25,
  });
  const query = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ workflow: search.workflow, status: search.status, origin: search.origin, ...extra })) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : "";
  };
  const now = Date.now();

  return (
    <div>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-xl font-semibold">Runs</h1>
        <nav className="flex gap-1 text-sm">
          {["all", ...runStatusSchema.options].map((s) => (
            <Link key={s} href={`/w/${workspace}/runs${query({ status: s === "all" ? undefined : s, before: undefined })}`}
              className={`rounded px-2 py-1 ${(search.status ?? "all") === s ? "bg-slate-200 dark:bg-slate-800" : "text-slate-500 hover:bg-slate-100 dark:hover:bg-slate-900"}`}>{s}</Link>
          ))}
        </nav>
      </div>
      {origin.success && (
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          Only runs from <OriginBadge origin={origin.data} />{" "}
          <Link href={`/w/${workspace}/runs${query({ origin: undefined, before: undefined })}`} className="text-indigo-600 hover:underline">show all</Link>
        </p>
      )}
      {runs.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-500">
          No runs yet. <Link href={`/w/${workspace}/workflows`} className="text-indigo-600 hover:underline">Run a workflow</Link>.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full text-sm" data-testid="runs-table">
            <thead className="border-b border-slate-200 text-left text-xs uppercase text-slate-500 dark:border-slate-800">
              <tr><th className="px-3 py-2">Status</th><th className="px-3 py-2">Workflow</th><th className="px-3 py-2">Version</th><th className="px-3 py-2">Origin</th><th className="px-3 py-2">Started</th><th className="px-3 py-2 text-right">Duration</th></tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} className="border-b border-slate-100 last:border-0 hover:bg-slate-50 dark:border-slate-800 dark:hover:bg-slate-800/50">
                  <td className="px-3 py-2"><Link href={`/w/${workspace}/runs/${r.uuid}`}><StatusBadge status={r.status} /></Link></td>
                  <td className="px-3 py-2"><Link href={`/w/${workspace}/runs/${r.uuid}`} className="font-medium hover:underline">{r.workflow.title}</Link>
                    {r.errorMessage && <div className="max-w-md truncate text-xs text-red-600" title={r.errorMessage}>{r.errorMessage}</div>}</td>
                  <td className="px-3 py-2 font-mono text-xs">v{r.versionNumber}{r.label ? ` · ${r.label}` : ""}</td>
                  <td className="px-3 py-2"><Link href={`/w/${workspace}/runs${query({ origin: r.origin, before: undefined })}`} title="Only runs from here"><OriginBadge origin={r.origin} /></Link></td>
                  <td className="px-3 py-2 text-xs" title={r.createdAt.toISOString()}>{formatRelative(r.createdAt, now)}</td>
                  <td className="px-3 py-2 text-right font-mono text-xs">{formatDuration(r.elapsedMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="mt-3 flex justify-between text-sm">
        {search.before ? <Link href={`/w/${workspace}/runs${query({ before: undefined })}`} className="text-indigo-600 hover:underline">← Newest</Link> : <span />}
        {nextCursor && <Link href={`/w/${workspace}/runs${query({ before: String(nextCursor) })}`} className="text-indigo-600 hover:underline">Older →</Link>}
      </div>
    </div>
  );
}
