"use client";
/**
 * The live run page body, shared by the console and the read-only share page. Every part
 * is memoised on the slice of state it shows, so a streamed token re-renders only the
 * streamed text (see run-view-state.ts for which slices a batch of frames replaces).
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Card } from "@/components/ui/card";
import { JsonTree } from "@/components/ui/json-tree";
import { formatDuration } from "@/components/ui/format";
import { FileHrefContext, OutputValue } from "./output-value";
import type { StreamConnection } from "./run-event-stream";
import { RunLogs } from "./run-logs";
import { RunTimeline } from "./run-timeline";
import { StatusBadge } from "./status-badge";
import { StreamedText } from "./streamed-text";
import { useRunEvents } from "./use-run-events";
import type { RunViewState, StepView } from "./run-view-state";

export function RunView(props: {
  runId: string;
  streamUrl: string;
  initial: RunViewState;
  inputs: Record<string, unknown> | null;
  /** The workspace's Secrets page, linked from errors a secret fixes (absent on share pages). */
  secretsHref?: string;
  /** The workspace's slug: stored files link to their download (absent on share pages). */
  workspace?: string;
  /** Console-only panels for the side column (details, callback deliveries), rendered by the server. */
  aside?: ReactNode;
  /** Parts a share link does not carry, left out rather than shown empty. */
  hide?: { logs?: boolean; stepOutputs?: boolean };
}) {
  const { state, connection } = useRunEvents(props.runId, props.streamUrl, props.initial);
  const router = useRouter();
  const { workspace } = props;
  const fileHref = useMemo(
    () => (workspace ? (id: string) => `/api/v1/files/${id}?workspace=${encodeURIComponent(workspace)}` : null),
    [workspace],
  );

  // The server-rendered parts (details, callback deliveries, lineage) are read again once a
  // run this page watched has ended.
  const endedOnLoad = useRef(props.initial.ended);
  useEffect(() => {
    if (state.ended && !endedOnLoad.current && workspace) {
      endedOnLoad.current = true;
      router.refresh();
    }
  }, [state.ended, workspace, router]);

  const live = !state.ended && (state.status === "running" || state.status === "queued");
  return (
    <FileHrefContext.Provider value={fileHref}>
      {/* Side by side from 1280 px; on a smaller laptop the side panels go below, two abreast. */}
      <div className="grid gap-4 xl:grid-cols-3" data-testid="run-view" data-last-seq={state.lastSeq} data-ended={state.ended ? "true" : "false"}>
        <div className="min-w-0 space-y-4 xl:col-span-2">
          <Card title="Steps" actions={
            <span className="flex items-center gap-3 text-xs text-slate-500">
              <ConnectionState connection={connection} />
              <RunDuration startedAt={state.startedAt} durationMs={state.durationMs} live={live} />
              {state.totalTokens > 0 && <span data-testid="run-tokens">{state.totalTokens} tokens</span>}
              <span data-testid="run-status" className="flex items-center gap-1">
                <StatusBadge status={state.status} />
                {state.cancelRequested && !state.ended && <span data-testid="run-cancelling" className="text-amber-700 dark:text-amber-400">cancelling…</span>}
              </span>
            </span>}>
            <RunTimeline steps={state.steps} runStartedAt={state.startedAt} runFinishedAt={state.finishedAt} live={live} />
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

          <StreamedTexts steps={state.steps} texts={state.texts} />
          <Outputs outputs={state.outputs} status={state.status} />

          {!props.hide?.logs && (
            <Card title={`Logs (${state.logs.length})`}>
              <RunLogs logs={state.logs} />
            </Card>
          )}
        </div>

        <div className="grid min-w-0 content-start items-start gap-4 lg:grid-cols-2 xl:grid-cols-1">
          {props.inputs && <Inputs inputs={props.inputs} />}
          {props.aside}
          {!props.hide?.stepOutputs && <StepOutputs steps={state.steps} />}
        </div>
      </div>
    </FileHrefContext.Provider>
  );
}

/** The run's duration; while it runs, a clock of its own (so the page does not re-render for it). */
function RunDuration({ startedAt, durationMs, live }: { startedAt?: string; durationMs?: number; live: boolean }) {
  // No clock on the server: the first render matches the HTML, the clock starts after.
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    if (!live) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [live]);
  const ms = durationMs ?? (live && startedAt && now != null ? Math.max(now - Date.parse(startedAt), 0) : null);
  return <span data-testid="run-duration" title="Run duration">{formatDuration(ms)}</span>;
}

function ConnectionState({ connection }: { connection: StreamConnection }) {
  if (connection === "ended") return null;
  const label = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", unavailable: "live updates stopped" }[connection];
  const dot = { connecting: "bg-slate-400", live: "bg-emerald-500", reconnecting: "bg-amber-500 animate-pulse", unavailable: "bg-red-500" }[connection];
  return (
    <span data-testid="stream-state" data-state={connection} role="status" aria-live="polite"
      className={`inline-flex items-center gap-1 ${connection === "reconnecting" ? "text-amber-700 dark:text-amber-400" : ""}`}
      title={connection === "reconnecting" ? "The connection dropped; resuming from the last event received" : undefined}>
      <span className={`h-1.5 w-1.5 rounded-full ${dot}`} />
      {label}
    </span>
  );
}

const StreamedTexts = memo(function StreamedTexts({ steps, texts }: { steps: StepView[]; texts: Record<string, string> }) {
  const withText = steps.filter((s) => texts[s.id]);
  if (withText.length === 0) return null;
  return (
    <Card title="Streamed text">
      <div className="space-y-4">
        {withText.map((s) => (
          <StreamedText key={s.id} stepId={s.id} name={s.name} text={texts[s.id]} streaming={s.status === "running"} />
        ))}
      </div>
    </Card>
  );
});

const Outputs = memo(function Outputs({ outputs, status }: { outputs: RunViewState["outputs"]; status: string }) {
  return (
    <Card title="Outputs">
      <div data-testid="run-outputs">
        {outputs && Object.keys(outputs).length > 0 ? (
          <dl className="space-y-4">
            {Object.entries(outputs).map(([name, value]) => (
              <div key={name} data-testid={`output-${name}`}>
                <dt className="mb-1 font-mono text-xs text-slate-500">{name}</dt>
                <dd><OutputValue value={value} /></dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="text-sm text-slate-500">
            {status === "succeeded" ? "No outputs." : status === "running" || status === "queued" ? "Waiting for the run to finish…" : "This run produced no outputs."}
          </p>
        )}
      </div>
    </Card>
  );
});

const Inputs = memo(function Inputs({ inputs }: { inputs: Record<string, unknown> }) {
  const entries = Object.entries(inputs);
  return (
    <Card title="Inputs">
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">No inputs.</p>
      ) : (
        <dl className="space-y-3" data-testid="run-inputs">
          {entries.map(([name, value]) => (
            <div key={name} data-testid={`input-${name}`}>
              <dt className="font-mono text-xs text-slate-500">{name}</dt>
              <dd><OutputValue value={value} markdown={false} /></dd>
            </div>
          ))}
        </dl>
      )}
    </Card>
  );
});

const StepOutputs = memo(function StepOutputs({ steps }: { steps: StepView[] }) {
  const done = steps.filter((s) => s.output !== undefined);
  return (
    <Card title="Step outputs">
      <div className="space-y-3" data-testid="step-outputs">
        {done.map((s) => (
          <details key={s.id} className="text-sm" data-testid={`step-output-${s.id}`}>
            <summary className="cursor-pointer">
              {s.name} <span className="font-mono text-xs text-slate-400">{s.id}</span>
              {s.reused && <span className="ml-1 rounded bg-indigo-100 px-1 text-[10px] text-indigo-800 dark:bg-indigo-950 dark:text-indigo-300">reused</span>}
            </summary>
            <div className="mt-1"><JsonTree value={s.output} /></div>
          </details>
        ))}
        {done.length === 0 && <p className="text-sm text-slate-500">None yet.</p>}
      </div>
    </Card>
  );
});
