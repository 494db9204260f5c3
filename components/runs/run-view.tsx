"use client";
/** The live run page body, shared by the console and the read-only share page. */
import Link from "next/link";
import { memo } from "react";
import { Card } from "@/components/ui/card";
import { JsonTree } from "@/components/ui/json-tree";
import { formatDuration } from "@/components/ui/format";
import { OutputValue } from "./output-value";
import { RunTimeline } from "./run-timeline";
import { StatusBadge } from "./status-badge";
import { StreamedText } from "./streamed-text";
import { useRunEvents } from "./use-run-events";
import type { LogLine, RunViewState } from "./run-view-state";

const LEVEL: Record<string, string> = { error: "text-red-600", warn: "text-amber-600", info: "", debug: "text-slate-400" };

/** Memoised: a text chunk leaves the logs array as it was, so a streaming token skips this list. */
const LogList = memo(function LogList({ logs }: { logs: LogLine[] }) {
  return (
    <ol className="max-h-80 overflow-auto font-mono text-xs leading-5" data-testid="run-logs">
      {logs.map((l) => (
        <li key={l.seq} className={LEVEL[l.level] ?? ""}>
          <span className="text-slate-400">{new Date(l.at).toISOString().slice(11, 23)}</span>{" "}
          <span className="text-slate-500">[{l.stepId}]</span> {l.message}
        </li>
      ))}
    </ol>
  );
});

export function RunView(props: {
  runId: string;
  streamUrl: string;
  initial: RunViewState;
  inputs: Record<string, unknown> | null;
  /** The workspace's Secrets page, linked from errors a secret fixes (absent on share pages). */
  secretsHref?: string;
}) {
  const state = useRunEvents(props.runId, props.streamUrl, props.initial);
  const outputs = state.outputs;

  return (
    <div className="grid gap-4 lg:grid-cols-3">
      <div className="space-y-4 lg:col-span-2">
        <Card title="Steps" actions={
          <span className="flex items-center gap-3 text-xs text-slate-500">
            <span data-testid="run-duration">{formatDuration(state.durationMs)}</span>
            {state.totalTokens > 0 && <span>{state.totalTokens} tokens</span>}
            <span data-testid="run-status"><StatusBadge status={state.status} /></span>
          </span>}>
          <RunTimeline state={state} />
        </Card>

        {state.error && (
          <div role="alert" data-testid="run-error" className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
            <div className="font-semibold">Run {state.status}{state.error.step_id ? ` at step ${state.error.step_id}` : ""}</div>
            <div>{state.error.code}: {state.error.message}</div>
            {props.secretsHref && state.error.code === "llm_not_configured" && (
              <Link href={props.secretsHref} className="mt-2 inline-block font-medium underline hover:no-underline">Open Secrets settings →</Link>
            )}
          </div>
        )}

        {state.steps.some((s) => s.text) && (
          <Card title="Streamed text">
            <div className="space-y-4">
              {state.steps.filter((s) => s.text).map((s) => (
                <StreamedText key={s.id} stepId={s.id} name={s.name} text={s.text} streaming={s.status === "running"} />
              ))}
            </div>
          </Card>
        )}

        <Card title="Outputs">
          <div data-testid="run-outputs">
            {outputs ? (
              <dl className="space-y-4">
                {Object.entries(outputs).map(([name, value]) => (
                  <div key={name} data-testid={`output-${name}`}>
                    <dt className="mb-1 font-mono text-xs text-slate-500">{name}</dt>
                    <dd><OutputValue value={value} /></dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p className="text-sm text-slate-500">{state.status === "succeeded" ? "No outputs." : state.status === "running" || state.status === "queued" ? "Waiting for the run to finish…" : "This run produced no outputs."}</p>
            )}
          </div>
        </Card>

        <Card title={`Logs (${state.logs.length})`}>
          {state.logs.length === 0 ? (
            <p className="text-sm text-slate-500">No log lines.</p>
          ) : (
            <LogList logs={state.logs} />
          )}
        </Card>
      </div>

      <div className="space-y-4">
        {props.inputs && (
          <Card title="Inputs">
            <JsonTree value={props.inputs} />
          </Card>
        )}
        <Card title="Step outputs">
          <div className="space-y-3">
            {state.steps.filter((s) => s.output !== undefined).map((s) => (
              <details key={s.id} className="text-sm">
                <summary className="cursor-pointer">{s.name} <span className="font-mono text-xs text-slate-400">{s.id}</span></summary>
                <div className="mt-1"><JsonTree value={s.output} /></div>
              </details>
            ))}
            {!state.steps.some((s) => s.output !== undefined) && <p className="text-sm text-slate-500">None yet.</p>}
          </div>
        </Card>
      </div>
    </div>
  );
}
