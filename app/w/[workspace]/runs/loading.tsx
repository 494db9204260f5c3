/** Shown while the runs history loads: the title, the filter bar and the table's rows. */
import { SkeletonBar, SkeletonPage } from "@/components/ui/skeleton";

export default function RunsLoading() {
  return (
    <SkeletonPage label="Loading runs…" testId="runs-skeleton">
      <SkeletonBar className="h-7 w-20" />
      <div className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
        <SkeletonBar className="h-9 min-w-[16rem] flex-1" />
        {["w-36", "w-28", "w-32", "w-28", "w-28"].map((w, i) => <SkeletonBar key={i} className={`h-9 ${w}`} />)}
      </div>
      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="grid grid-cols-[5rem_1fr_5rem_6rem_6rem_4rem] gap-4 border-b border-slate-200 px-3 py-2.5 dark:border-slate-800">
          {Array.from({ length: 6 }, (_, i) => <SkeletonBar key={i} className="h-3 w-14" />)}
        </div>
        {Array.from({ length: 8 }, (_, i) => (
          <div key={i} className="grid grid-cols-[5rem_1fr_5rem_6rem_6rem_4rem] items-center gap-4 border-b border-slate-100 px-3 py-3 last:border-0 dark:border-slate-800">
            <SkeletonBar className="h-5 w-16 rounded-full" />
            <div className="space-y-1.5">
              <SkeletonBar className={`h-3.5 ${i % 2 ? "w-40" : "w-52"}`} />
              <SkeletonBar className="h-2.5 w-16" />
            </div>
            <SkeletonBar className="h-3 w-10" />
            <SkeletonBar className="h-4 w-16" />
            <SkeletonBar className="h-3 w-16" />
            <SkeletonBar className="ml-auto h-3 w-12" />
          </div>
        ))}
      </div>
    </SkeletonPage>
  );
}
