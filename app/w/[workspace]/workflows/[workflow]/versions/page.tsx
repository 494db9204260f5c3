import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { NotFoundError } from "@/lib/services/errors";
import { can } from "@/lib/services/permissions";
import { listLabelMoves, listVersionEntries, type ChangeAuthor } from "@/lib/services/workflow-history";
import { getWorkflowSummary } from "@/lib/services/workflows";
import { Card } from "@/components/ui/card";
import { MoveLabelForm } from "@/components/workflows/move-label-form";
import { When, WorkflowHeader, WorkflowNotFound } from "@/components/workflows/workflow-header";

export const metadata = { title: "Versions & labels" };

type Params = Promise<{ workspace: string; workflow: string }>;
type Search = Promise<{ published?: string }>;

function Author({ by }: { by: ChangeAuthor }) {
  if (by.kind === "user") return <span data-testid="author" title={by.name ?? undefined}>{by.email}</span>;
  if (by.kind === "api_key") return <span data-testid="author">API key <strong className="font-medium">{by.name}</strong></span>;
  return <span data-testid="author" className="text-slate-400">unknown</span>;
}

const chip = "rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300";

export default async function VersionsPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { workspace, workflow: ref } = await params;
  const { published } = await searchParams;
  const actor = await requireActor(workspace);
  let workflow, versions, moves;
  try {
    workflow = await getWorkflowSummary(actor, decodeURIComponent(ref));
    [versions, moves] = await Promise.all([listVersionEntries(actor, workflow.id), listLabelMoves(actor, workflow.id, { limit: 100 })]);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return <WorkflowNotFound workspace={workspace} message={err.message} />;
  }
  const canEdit = can(actor.role, "edit");
  const base = `/w/${workspace}/workflows/${encodeURIComponent(workflow.name)}`;
  const now = Date.now();
  const justPublished = published && /^\d+$/.test(published) ? Number(published) : null;

  return (
    <div className="space-y-4">
      <WorkflowHeader workspace={workspace} workflow={workflow} active="versions" />

      {justPublished != null && versions.some((v) => v.number === justPublished) && (
        <p role="status" data-testid="published-note" className="rounded-md bg-emerald-50 px-4 py-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">
          Published v{justPublished}. It will never change; point a label at it to use it by name.
        </p>
      )}
      {!canEdit && (
        <p data-testid="workflow-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Viewers can read versions and labels but not publish or move labels. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}

      <div className="grid items-start gap-4 lg:grid-cols-5">
        <Card title={`Versions (${versions.length})`} className="lg:col-span-3">
          <ul data-testid="versions-list" className="-m-4 divide-y divide-slate-100 dark:divide-slate-800">
            {versions.map((v) => (
              <li key={v.number} data-testid={`version-${v.number}`} className="flex flex-wrap items-start gap-x-3 gap-y-1 px-4 py-3">
                <span className="font-mono text-sm font-semibold">v{v.number}</span>
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-1.5">
                    <span className="text-sm" data-testid="version-message">{v.message || <span className="text-slate-400">No message</span>}</span>
                    {v.labels.map((l) => <span key={l} className={chip} data-testid="version-label">{l}</span>)}
                  </div>
                  <p className="mt-0.5 text-xs text-slate-500">
                    <When at={v.createdAt} now={now} />{v.by.kind !== "unknown" && <> by <Author by={v.by} /></>}
                  </p>
                </div>
                <div className="flex flex-wrap gap-3 text-xs">
                  <Link href={`${base}?version=${v.number}`} className="text-indigo-600 hover:underline dark:text-indigo-400">Run</Link>
                  {canEdit && <Link href={`${base}/edit?from=${v.number}`} className="text-indigo-600 hover:underline dark:text-indigo-400">Edit from here</Link>}
                  {v.number > 1 && (
                    <Link href={`${base}/compare?a=${v.number - 1}&b=${v.number}`} className="text-indigo-600 hover:underline dark:text-indigo-400">
                      Compare with v{v.number - 1}
                    </Link>
                  )}
                </div>
              </li>
            ))}
          </ul>
        </Card>

        <div className="space-y-4 lg:col-span-2">
          <Card title="Labels">
            {workflow.labels.length === 0 ? (
              <p data-testid="labels-empty" className="text-sm text-slate-500">No labels yet. A label (like production) names a version, so callers need not know its number.</p>
            ) : (
              <ul data-testid="labels-list" className="space-y-1.5 text-sm">
                {workflow.labels.map((l) => (
                  <li key={l.name} data-testid={`label-${l.name}`} className="flex items-center gap-2">
                    <span className={chip}>{l.name}</span>
                    <span aria-hidden="true" className="text-slate-400">→</span>
                    <span className="font-mono">v{l.version}</span>
                    <span className="ml-auto text-xs text-slate-500">moved <When at={l.updatedAt} now={now} /></span>
                  </li>
                ))}
              </ul>
            )}
            {canEdit && (
              <div className="mt-4 border-t border-slate-100 pt-4 dark:border-slate-800">
                <MoveLabelForm workspace={workspace} workflow={workflow.name}
                  labels={workflow.labels.map((l) => ({ name: l.name, version: l.version }))} versions={versions.map((v) => v.number)} />
              </div>
            )}
          </Card>

          <Card title="Label history">
            {moves.length === 0 ? (
              <p data-testid="label-history-empty" className="text-sm text-slate-500">No label has been moved yet.</p>
            ) : (
              <ol data-testid="label-history" className="-m-4 divide-y divide-slate-100 text-sm dark:divide-slate-800">
                {moves.map((m) => (
                  <li key={m.id} data-testid="label-move" className="px-4 py-2">
                    <div className="flex flex-wrap items-center gap-2">
                      <span className={chip}>{m.label}</span>
                      <span className="font-mono" data-testid="label-move-versions">
                        {m.fromVersion != null ? `v${m.fromVersion}` : "new"} → v{m.toVersion}
                      </span>
                    </div>
                    <p className="mt-0.5 text-xs text-slate-500"><Author by={m.by} /> · <When at={m.movedAt} now={now} /></p>
                  </li>
                ))}
              </ol>
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}
