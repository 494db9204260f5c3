/** Shown while the workflows list loads: the title, its buttons and a grid of cards. */
import { SkeletonBar, SkeletonPage } from "@/components/ui/skeleton";

export default function WorkflowsLoading() {
  return (
    <SkeletonPage label="Loading workflows…" testId="workflows-skeleton">
      <div className="flex items-center justify-between gap-3">
        <SkeletonBar className="h-7 w-32" />
        <div className="flex gap-2">
          <SkeletonBar className="h-9 w-20" />
          <SkeletonBar className="h-9 w-32" />
        </div>
      </div>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {Array.from({ length: 6 }, (_, i) => (
          <li key={i} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <div className="flex items-center justify-between gap-2">
              <SkeletonBar className="h-4 w-32" />
              <SkeletonBar className="h-3 w-16" />
            </div>
            <SkeletonBar className="mt-3 h-3 w-full" />
            <SkeletonBar className="mt-2 h-3 w-2/3" />
            <div className="mt-4 flex gap-1.5">
              <SkeletonBar className="h-4 w-16" />
              <SkeletonBar className="h-4 w-24" />
            </div>
          </li>
        ))}
      </ul>
    </SkeletonPage>
  );
}
