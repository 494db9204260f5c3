/**
 * Re-run lineage on the run page: on a re-run, the run it re-ran (and from which step, with
 * the steps it kept); on any run, the runs that re-ran it.
 */
import Link from "next/link";
import { RelativeTime } from "@/components/ui/relative-time";
import { StatusBadge } from "./status-badge";

export interface LineageRun {
  uuid: string;
  status: string;
  versionNumber: number;
  label: string | null;
  rerunFromStep: string | null;
  createdAt: Date;
}

const short = (uuid: string) => uuid.slice(0, 8);

export function RunLineage(props: {
  workspace: string;
  parent: LineageRun | null;
  /** The step this run was re-run from, and the steps it kept from the parent. */
  fromStep: string | null;
  reusedSteps: string[];
  reruns: LineageRun[];
  rerunCount: number;
  /** The parent existed but is gone (or unknown): the run still says it is a re-run. */
  isRerun: boolean;
}) {
  const { workspace, parent, reruns } = props;
  const now = Date.now();
  if (!props.isRerun && reruns.length === 0) return null;
  const runHref = (uuid: string) => `/w/${workspace}/runs/${uuid}`;

  return (
    <div className="space-y-2 rounded-lg border border-indigo-200 bg-indigo-50/60 px-4 py-2.5 text-sm dark:border-indigo-900 dark:bg-indigo-950/40" data-testid="run-lineage">
      {props.isRerun && (
        <p data-testid="lineage-parent-line">
          <span aria-hidden>↩ </span>Re-run of{" "}
          {parent ? (
            <>
              <Link href={runHref(parent.uuid)} data-testid="lineage-parent" className="font-mono font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                run {short(parent.uuid)}
              </Link>{" "}
              <span className="text-slate-500">(v{parent.versionNumber}{parent.label ? ` · ${parent.label}` : ""}, <RelativeTime at={parent.createdAt} now={now} />)</span>{" "}
              <StatusBadge status={parent.status} />
            </>
          ) : (
            <span className="text-slate-500">a run that no longer exists</span>
          )}
          {props.fromStep && (
            <span data-testid="lineage-from-step">
              {" "}· from step <code className="rounded bg-white px-1 font-mono text-xs dark:bg-slate-900">{props.fromStep}</code>
              {props.reusedSteps.length > 0 && <span className="text-slate-500"> (kept: {props.reusedSteps.join(", ")})</span>}
            </span>
          )}
        </p>
      )}
      {reruns.length > 0 && (
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <span className="font-medium" data-testid="lineage-rerun-count">Re-runs ({props.rerunCount}):</span>
          <ul className="flex flex-wrap gap-2" data-testid="lineage-reruns">
            {reruns.map((r) => (
              <li key={r.uuid} data-testid="lineage-rerun" className="inline-flex items-center gap-1.5 rounded-full bg-white px-2 py-0.5 text-xs shadow-sm dark:bg-slate-900">
                <Link href={runHref(r.uuid)} className="font-mono text-indigo-700 hover:underline dark:text-indigo-300">{short(r.uuid)}</Link>
                <StatusBadge status={r.status} />
                <span className="text-slate-500">
                  v{r.versionNumber}{r.rerunFromStep ? ` · from ${r.rerunFromStep}` : ""} ·{" "}
                  <RelativeTime at={r.createdAt} now={now} />
                </span>
              </li>
            ))}
          </ul>
          {props.rerunCount > reruns.length && <span className="text-xs text-slate-500">and {props.rerunCount - reruns.length} more</span>}
        </div>
      )}
    </div>
  );
}
