/**
 * Shown while a workflow page loads (Run, Versions & labels, Edit, Compare): the header, its
 * tabs, then a wide card beside a narrow one.
 */
import { SkeletonBar, SkeletonPage, SkeletonPanel } from "@/components/ui/skeleton";

export default function WorkflowLoading() {
  return (
    <SkeletonPage label="Loading the workflow…" testId="workflow-skeleton">
      <div className="space-y-3">
        <div className="flex items-end justify-between gap-3">
          <div className="space-y-2">
            <SkeletonBar className="h-3 w-20" />
            <SkeletonBar className="h-6 w-56" />
            <SkeletonBar className="h-3 w-80 max-w-full" />
          </div>
          <SkeletonBar className="h-8 w-40" />
        </div>
        <div className="flex gap-4 border-b border-slate-200 pb-2 dark:border-slate-800">
          {["w-10", "w-32", "w-10", "w-16"].map((w, i) => <SkeletonBar key={i} className={`h-4 ${w}`} />)}
        </div>
      </div>
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:col-span-2 dark:border-slate-800 dark:bg-slate-900">
          <SkeletonBar className="mb-5 h-4 w-24" />
          <div className="space-y-5">
            {Array.from({ length: 3 }, (_, i) => (
              <div key={i} className="space-y-2">
                <SkeletonBar className="h-3 w-28" />
                <SkeletonBar className="h-9 w-full" />
              </div>
            ))}
            <SkeletonBar className="h-9 w-20" />
          </div>
        </div>
        <SkeletonPanel rows={4} title="w-16" />
      </div>
    </SkeletonPage>
  );
}
