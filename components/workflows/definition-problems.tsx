"use client";
/** What the checker says about the text in the editor: checking, valid (with counts) or each problem on its line. */
import type { DefinitionCheckState } from "./use-definition-check";

/** `steps[1].config.template` for ["steps", 1, "config", "template"]. */
export function formatDefinitionPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function DefinitionProblems({ id, check, onShowLine }: { id: string; check: DefinitionCheckState; onShowLine: (line: number) => void }) {
  const { result, failure } = check;
  return (
    <div id={id} className="space-y-2" aria-live="polite">
      {failure ? (
        <p data-testid="definition-status" data-state="unknown" className="text-sm text-amber-700 dark:text-amber-400">{failure}</p>
      ) : !result ? (
        <p data-testid="definition-status" data-state="checking" className="text-sm text-slate-500">Checking…</p>
      ) : result.valid ? (
        <p data-testid="definition-status" data-state="valid" className="text-sm font-medium text-emerald-700 dark:text-emerald-400">
          ✓ Valid definition: {plural(result.summary!.inputs, "input")}, {plural(result.summary!.steps, "step")}, {plural(result.summary!.outputs, "output")}
        </p>
      ) : (
        <>
          <p data-testid="definition-status" data-state="invalid" className="text-sm font-medium text-red-700 dark:text-red-400">
            {result.errors.length === 1 ? "1 problem" : `${result.errors.length} problems`}
          </p>
          <ul data-testid="definition-problems" className="max-h-80 space-y-1.5 overflow-y-auto">
            {result.errors.map((e, i) => (
              <li key={i} data-testid="definition-problem" data-line={e.line ?? undefined}
                className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/60 dark:text-red-200">
                <div className="flex flex-wrap items-baseline gap-x-2">
                  {e.line != null ? (
                    <button type="button" onClick={() => onShowLine(e.line!)} title="Show this line in the editor"
                      className="shrink-0 rounded bg-red-100 px-1.5 font-mono text-xs font-semibold text-red-700 hover:bg-red-200 dark:bg-red-900 dark:text-red-200">
                      Line {e.line}
                    </button>
                  ) : null}
                  {e.path.length > 0 && <code className="font-mono text-xs text-red-600 dark:text-red-300">{formatDefinitionPath(e.path)}</code>}
                </div>
                <p className="mt-0.5">{e.message}</p>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
