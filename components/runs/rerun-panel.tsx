"use client";
/**
 * Re-run a run: with the same inputs in one click, or with inputs edited in the run form
 * (prefilled with this run's), on this run's version or another version or label, and
 * either from the start or from a chosen step (the steps before it keep this run's
 * outputs). The version choice lives in the URL, so the server renders that version's form.
 */
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { InputSpec } from "@/lib/engine";
import { rerunRunAction } from "@/lib/actions/rerun";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { toast } from "@/components/ui/toast";
import { RunForm } from "./run-form";

export interface RerunTarget {
  /** "same": this run's version; otherwise a version number or a label. */
  kind: "same" | "version" | "label";
  version: number;
  label?: string;
}

const selectClass =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-950";

export function RerunPanel(props: {
  workspace: string;
  runId: string;
  workflow: string;
  runVersion: number;
  runLabel: string | null;
  target: RerunTarget;
  versions: { number: number; message: string }[];
  labels: { name: string; version: number }[];
  inputs: InputSpec[];
  steps: { id: string; name: string; kind: string }[];
  /** For each step: the steps a re-run from it keeps from this run. */
  reuse: Record<string, string[]>;
  runInputs: Record<string, unknown>;
  /** Why the chosen version could not be used (it fell back to this run's). */
  notice?: string;
  /** The step picked in the URL (`?from=`), if any. */
  initialFromStep?: string;
  closeHref: string;
}) {
  const { workspace, runId, target, steps, reuse } = props;
  const router = useRouter();
  const pathname = usePathname();
  const [fromStep, setFromStep] = useState(() => {
    const wanted = props.initialFromStep;
    return wanted && steps.some((s) => s.id === wanted) ? wanted : "";
  });
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);

  const selector = target.kind === "label" ? { label: target.label, version: null } : { label: null, version: target.version };
  const names = new Map(steps.map((s) => [s.id, s.name]));

  const chooseTarget = (value: string) => {
    const params = new URLSearchParams({ rerun: "1" });
    if (value.startsWith("label:")) params.set("label", value.slice(6));
    else if (value.startsWith("version:")) params.set("version", value.slice(8));
    if (fromStep) params.set("from", fromStep);
    router.replace(`${pathname}?${params.toString()}`, { scroll: false });
  };

  const rerun = (inputs?: Record<string, unknown>) =>
    rerunRunAction({ workspace, runId, inputs, ...selector, fromStep: fromStep || null });

  const rerunSame = () => {
    setMessage(null);
    startTransition(async () => {
      const result = await rerun();
      if (result.ok) {
        toast.success("Re-run started", { description: `Same inputs · run ${result.data.runId.slice(0, 8)}` });
        router.push(`/w/${workspace}/runs/${result.data.runId}`);
      } else setMessage(result.errors?.length ? result.errors.map((e) => e.msg).join("; ") : result.message);
    });
  };

  const targetValue = target.kind === "label" ? `label:${target.label}` : target.kind === "version" ? `version:${target.version}` : "same";
  const kept = fromStep ? (reuse[fromStep] ?? []) : [];

  return (
    <Card title="Re-run" actions={<Link href={props.closeHref} scroll={false} className="text-xs text-slate-500 hover:underline" data-testid="rerun-close">Close</Link>}>
      <div className="space-y-5" data-testid="rerun-panel">
        <div className="grid gap-4 sm:grid-cols-2">
          <label className="block text-sm font-medium">
            Version
            <select className={selectClass} value={targetValue} onChange={(e) => chooseTarget(e.target.value)} data-testid="rerun-version">
              <option value="same">Same as this run: v{props.runVersion}{props.runLabel ? ` (${props.runLabel})` : ""}</option>
              {props.labels.map((l) => <option key={l.name} value={`label:${l.name}`}>Label {l.name} → v{l.version}</option>)}
              {props.versions.map((v) => (
                <option key={v.number} value={`version:${v.number}`}>v{v.number}{v.message ? ` — ${v.message.slice(0, 60)}` : ""}</option>
              ))}
            </select>
          </label>
          <label className="block text-sm font-medium">
            Start from
            <select className={selectClass} value={fromStep} onChange={(e) => setFromStep(e.target.value)} data-testid="rerun-from-step">
              <option value="">The beginning (run every step)</option>
              {steps.map((s) => (
                <option key={s.id} value={s.id}>
                  Step {s.name}{(reuse[s.id] ?? []).length ? ` — keeps ${(reuse[s.id] ?? []).map((id) => names.get(id) ?? id).join(", ")}` : ""}
                </option>
              ))}
            </select>
          </label>
        </div>
        {props.notice && <p role="alert" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-300">{props.notice}</p>}
        {fromStep && (
          <p className="text-xs text-slate-500" data-testid="rerun-keeps">
            {kept.length
              ? <>Keeps the outputs of {kept.map((id) => names.get(id) ?? id).join(", ")} from this run; runs {fromStep} and what depends on it again.</>
              : <>This run has no finished steps before {fromStep} to keep: every step runs again.</>}
          </p>
        )}

        <div className="flex flex-wrap items-center gap-3 border-b border-slate-200 pb-4 dark:border-slate-800">
          <Button type="button" variant="secondary" onClick={rerunSame} disabled={pending} data-testid="rerun-same">
            {pending ? "Starting…" : "Re-run with the same inputs"}
          </Button>
          <span className="text-xs text-slate-500">or edit the inputs below</span>
          {message && <p role="alert" data-testid="rerun-error" className="w-full rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
        </div>

        <RunForm key={`${targetValue}`} workspace={workspace} workflow={props.workflow} label={selector.label ?? null}
          version={selector.version} inputs={props.inputs} canRun initialInputs={props.runInputs}
          onSubmit={(inputs) => rerun(inputs)} submitLabel="Re-run with these inputs" />
      </div>
    </Card>
  );
}
