/**
 * A line diff of two versions' definitions, unified: removed lines red, added lines green,
 * long unchanged runs folded (a click unfolds them). No client code needed.
 */
import type { DiffBlock, DiffLine } from "@/lib/text/line-diff";

const MARK: Record<DiffLine["type"], string> = { same: " ", add: "+", del: "−" };
const ROW: Record<DiffLine["type"], string> = {
  same: "",
  add: "bg-emerald-50 text-emerald-900 dark:bg-emerald-950/60 dark:text-emerald-200",
  del: "bg-red-50 text-red-900 dark:bg-red-950/60 dark:text-red-200",
};

function Line({ line }: { line: DiffLine }) {
  return (
    <div data-testid="diff-line" data-type={line.type} className={`flex ${ROW[line.type]}`}>
      <span className="w-12 shrink-0 select-none px-2 text-right text-slate-400" aria-label={line.oldLine ? `old line ${line.oldLine}` : undefined}>{line.oldLine ?? ""}</span>
      <span className="w-12 shrink-0 select-none px-2 text-right text-slate-400" aria-label={line.newLine ? `new line ${line.newLine}` : undefined}>{line.newLine ?? ""}</span>
      <span className="w-5 shrink-0 select-none text-center" aria-hidden="true">{MARK[line.type]}</span>
      <span className="whitespace-pre pr-4">{line.text || " "}</span>
    </div>
  );
}

export function VersionDiff({ blocks }: { blocks: DiffBlock[] }) {
  return (
    <div data-testid="version-diff" className="overflow-x-auto rounded-md border border-slate-200 font-mono text-[13px] leading-5 dark:border-slate-800">
      <div className="min-w-fit">
        {blocks.map((block, i) =>
          block.kind === "lines" ? (
            block.lines.map((line, j) => <Line key={`${i}-${j}`} line={line} />)
          ) : (
            <details key={i} className="group border-y border-slate-100 dark:border-slate-800">
              <summary className="cursor-pointer select-none bg-slate-50 px-4 py-1 text-xs text-slate-500 hover:text-slate-800 dark:bg-slate-900 dark:hover:text-slate-200">
                <span className="group-open:hidden">⋯ {block.lines.length} unchanged {block.lines.length === 1 ? "line" : "lines"} (show)</span>
                <span className="hidden group-open:inline">{block.lines.length} unchanged {block.lines.length === 1 ? "line" : "lines"} (hide)</span>
              </summary>
              {block.lines.map((line, j) => <Line key={j} line={line} />)}
            </details>
          ),
        )}
      </div>
    </div>
  );
}
