import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { definitionToText, type DefinitionFormat } from "@/lib/engine/definition-source";
import { NotFoundError } from "@/lib/services/errors";
import { listVersionEntries } from "@/lib/services/workflow-history";
import { getVersion, getWorkflowSummary } from "@/lib/services/workflows";
import { diffLines, diffStats, foldDiff } from "@/lib/text/line-diff";
import { Card } from "@/components/ui/card";
import { VersionDiff } from "@/components/workflows/version-diff";
import { WorkflowHeader, WorkflowNotFound } from "@/components/workflows/workflow-header";

export const metadata = { title: "Compare versions" };

type Params = Promise<{ workspace: string; workflow: string }>;
type Search = Promise<{ a?: string; b?: string; format?: string }>;

const selectClass = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900";

export default async function CompareVersionsPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { workspace, workflow: ref } = await params;
  const search = await searchParams;
  const actor = await requireActor(workspace);
  const format: DefinitionFormat = search.format === "json" ? "json" : "yaml";
  const asNumber = (s: string | undefined) => (s && /^\d{1,9}$/.test(s) ? Number(s) : null);

  let workflow, versions, before, after;
  try {
    workflow = await getWorkflowSummary(actor, decodeURIComponent(ref));
    versions = await listVersionEntries(actor, workflow.id);
    const latest = versions[0]?.number ?? 1;
    // By default: the latest version against the one before it.
    const b = asNumber(search.b) ?? latest;
    const a = asNumber(search.a) ?? Math.max(1, b - 1);
    [before, after] = await Promise.all([getVersion(actor, workflow.id, a), getVersion(actor, workflow.id, b)]);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return <WorkflowNotFound workspace={workspace} message={err.message} />;
  }

  const lines = diffLines(definitionToText(before.definition, format), definitionToText(after.definition, format));
  const { added, removed } = diffStats(lines);
  const base = `/w/${workspace}/workflows/${encodeURIComponent(workflow.name)}/compare`;
  const link = (a: number, b: number, f: DefinitionFormat) => `${base}?a=${a}&b=${b}${f === "json" ? "&format=json" : ""}`;
  const versionLabel = (v: { number: number; labels: string[] }) => `v${v.number}${v.labels.length ? ` (${v.labels.join(", ")})` : ""}`;

  return (
    <div className="space-y-4">
      <WorkflowHeader workspace={workspace} workflow={workflow} active="compare" />

      {/* A plain GET form: the URL holds the comparison, so it can be shared and reloaded. */}
      <form method="get" action={base} className="flex flex-wrap items-end gap-3" data-testid="compare-form">
        <label className="text-sm">
          <span className="block text-slate-500">From</span>
          <select name="a" defaultValue={before.number} className={selectClass} aria-label="From version">
            {versions.map((v) => <option key={v.number} value={v.number}>{versionLabel(v)}</option>)}
          </select>
        </label>
        <Link href={link(after.number, before.number, format)} className="pb-1.5 text-sm text-indigo-600 hover:underline dark:text-indigo-400" title="Swap the two versions">⇄</Link>
        <label className="text-sm">
          <span className="block text-slate-500">To</span>
          <select name="b" defaultValue={after.number} className={selectClass} aria-label="To version">
            {versions.map((v) => <option key={v.number} value={v.number}>{versionLabel(v)}</option>)}
          </select>
        </label>
        <label className="text-sm">
          <span className="block text-slate-500">As</span>
          <select name="format" defaultValue={format} className={selectClass} aria-label="Format">
            <option value="yaml">YAML</option>
            <option value="json">JSON</option>
          </select>
        </label>
        <button type="submit" className="rounded-md bg-indigo-600 px-3.5 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-indigo-500">Compare</button>
      </form>

      <Card
        title={<span data-testid="compare-title">v{before.number} → v{after.number}</span>}
        actions={<span data-testid="diff-stats" className="font-mono text-xs"><span className="text-emerald-700 dark:text-emerald-400">+{added}</span> <span className="text-red-700 dark:text-red-400">−{removed}</span></span>}>
        <div className="mb-3 grid gap-2 text-xs text-slate-500 sm:grid-cols-2">
          <p><span className="font-mono">v{before.number}</span>: {before.message || "no message"}</p>
          <p><span className="font-mono">v{after.number}</span>: {after.message || "no message"}</p>
        </div>
        {before.number === after.number ? (
          <p data-testid="diff-same-version" className="text-sm text-slate-500">Both sides are v{before.number}. Pick two different versions.</p>
        ) : added + removed === 0 ? (
          <p data-testid="diff-identical" className="text-sm text-slate-500">The two definitions are identical.</p>
        ) : (
          <VersionDiff blocks={foldDiff(lines, 3)} />
        )}
      </Card>
    </div>
  );
}
