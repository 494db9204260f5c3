/** Shown while the run page loads: the page's shape, so nothing jumps when it arrives. */
function Bar({ className }: { className: string }) {
  return <div className={`animate-pulse rounded bg-slate-200 dark:bg-slate-800 ${className}`} />;
}

function Panel({ rows, title = "w-24" }: { rows: number; title?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <Bar className={`mb-4 h-4 ${title}`} />
      <div className="space-y-3">
        {Array.from({ length: rows }, (_, i) => <Bar key={i} className={`h-3 ${i % 3 === 2 ? "w-2/3" : "w-full"}`} />)}
      </div>
    </div>
  );
}

export default function RunPageLoading() {
  return (
    <div className="space-y-4" data-testid="run-page-skeleton" aria-busy="true" aria-label="Loading the run">
      <div className="flex items-end justify-between gap-3">
        <div className="space-y-2">
          <Bar className="h-3 w-12" />
          <Bar className="h-6 w-64" />
          <Bar className="h-3 w-96 max-w-full" />
        </div>
        <div className="flex gap-2">
          <Bar className="h-9 w-24" />
          <Bar className="h-9 w-20" />
        </div>
      </div>
      <div className="grid gap-4 xl:grid-cols-3">
        <div className="space-y-4 xl:col-span-2">
          <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <Bar className="mb-4 h-4 w-16" />
            <div className="space-y-2.5">
              {[["w-1/4", "ml-0"], ["w-1/3", "ml-[25%]"], ["w-1/3", "ml-[25%]"], ["w-1/6", "ml-[60%]"]].map(([w, ml], i) => (
                <div key={i} className="grid grid-cols-[minmax(9rem,15rem)_1fr_5.5rem] items-center gap-3">
                  <Bar className="h-4 w-28" />
                  <div className="h-4 rounded bg-slate-100 dark:bg-slate-800/60"><Bar className={`h-4 ${w} ${ml}`} /></div>
                  <Bar className="ml-auto h-3 w-12" />
                </div>
              ))}
            </div>
          </div>
          <Panel rows={3} title="w-20" />
          <Panel rows={5} title="w-12" />
        </div>
        <div className="grid content-start items-start gap-4 lg:grid-cols-2 xl:grid-cols-1">
          <Panel rows={2} title="w-14" />
          <Panel rows={7} title="w-16" />
        </div>
      </div>
    </div>
  );
}
