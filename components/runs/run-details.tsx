/**
 * What a run was and where it came from: workflow, version and label used, origin, times,
 * tokens, external id and metadata; and, for runs with a callback URL, each delivery
 * attempt. Rendered on the server from the API's run document; the page reads it again
 * when a run it watched ends.
 */
import Link from "next/link";
import type { ReactNode } from "react";
import type { RunDoc } from "@/lib/schemas/api-runs";
import { Card } from "@/components/ui/card";
import { formatDuration } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";
import { OriginBadge } from "./origin-badge";

function When({ iso, now }: { iso: string | null; now: number }) {
  if (!iso) return <span className="text-slate-400">—</span>;
  return <RelativeTime at={iso} now={now} />;
}

function Row({ name, children, testId }: { name: string; children: ReactNode; testId?: string }) {
  return (
    <div className="grid grid-cols-[7rem_1fr] gap-2 py-1" data-testid={testId}>
      <dt className="text-slate-500">{name}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  );
}

export function RunDetails({ run, workspace }: { run: RunDoc; workspace: string }) {
  const now = Date.now();
  const metadata = Object.entries(run.metadata);
  const workflowHref = `/w/${workspace}/workflows/${encodeURIComponent(run.workflow.name)}`;
  return (
    <Card title="Details">
      <dl className="divide-y divide-slate-100 text-sm dark:divide-slate-800" data-testid="run-details">
        <Row name="Workflow"><Link href={workflowHref} className="text-indigo-600 hover:underline dark:text-indigo-400">{run.workflow.title}</Link></Row>
        <Row name="Version" testId="detail-version">
          <Link href={`${workflowHref}?version=${run.version}`} className="font-mono hover:underline">v{run.version}</Link>
          {run.label
            ? <> via label <span className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">{run.label}</span></>
            : <span className="text-slate-500"> (picked by number)</span>}
        </Row>
        <Row name="Origin" testId="detail-origin"><OriginBadge origin={run.origin} /></Row>
        <Row name="Created"><When iso={run.created_at} now={now} /></Row>
        <Row name="Started"><When iso={run.started_at} now={now} /></Row>
        <Row name="Finished"><When iso={run.finished_at} now={now} /></Row>
        <Row name="Elapsed">{formatDuration(run.elapsed_ms)}</Row>
        <Row name="Steps">{run.total_steps}</Row>
        <Row name="Tokens">{run.total_tokens}</Row>
        {run.external_id && <Row name="External id" testId="detail-external-id"><code className="font-mono text-xs">{run.external_id}</code></Row>}
        <Row name="Metadata" testId="run-metadata">
          {metadata.length === 0 ? (
            <span className="text-slate-400">none</span>
          ) : (
            <table className="w-full text-xs">
              <tbody>
                {metadata.map(([k, v]) => (
                  <tr key={k} data-testid={`metadata-${k}`}>
                    <td className="pr-2 align-top font-mono text-slate-500">{k}</td>
                    <td className="break-all font-mono">{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Row>
      </dl>
    </Card>
  );
}

const DELIVERY: Record<string, string> = {
  delivered: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  failed: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  pending: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
};

export function CallbackDeliveries({ callback }: { callback: NonNullable<RunDoc["callback"]> }) {
  const now = Date.now();
  return (
    <Card title={`Callback (${callback.deliveries.length} ${callback.deliveries.length === 1 ? "attempt" : "attempts"})`}>
      <p className="mb-2 break-all font-mono text-xs text-slate-600 dark:text-slate-300" data-testid="callback-url">POST {callback.url}</p>
      {callback.deliveries.length === 0 ? (
        <p className="text-sm text-slate-500">Sent when the run ends.</p>
      ) : (
        <div className="-mx-1 overflow-x-auto px-1">
        <table className="w-full min-w-[16rem] text-xs" data-testid="callback-deliveries">
          <thead className="text-left text-slate-500">
            <tr><th className="py-1 pr-2 font-normal">#</th><th className="pr-2 font-normal">State</th><th className="pr-2 font-normal">HTTP</th><th className="font-normal">When</th></tr>
          </thead>
          <tbody>
            {callback.deliveries.map((d) => (
              <tr key={d.attempt} data-testid="callback-delivery" data-state={d.state} className="border-t border-slate-100 align-top dark:border-slate-800">
                <td className="py-1 pr-2 font-mono">{d.attempt}</td>
                <td className="pr-2">
                  <span className={`rounded px-1.5 py-0.5 ${DELIVERY[d.state] ?? DELIVERY.pending}`}>{d.state}</span>
                  {d.error && <div className="mt-0.5 break-words text-red-600 dark:text-red-400">{d.error}</div>}
                </td>
                <td className="pr-2 font-mono">{d.status_code ?? "—"}</td>
                <td>
                  <When iso={d.created_at} now={now} />
                  {d.next_attempt_at && <div className="text-slate-500">next <RelativeTime at={d.next_attempt_at} now={now} /></div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </Card>
  );
}
