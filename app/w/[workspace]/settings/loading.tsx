/** Shown while a settings page loads (Secrets, API keys, Members, Share links): a list beside a form. */
import { SkeletonBar, SkeletonHeading, SkeletonPage } from "@/components/ui/skeleton";

export default function SettingsLoading() {
  return (
    <SkeletonPage label="Loading settings…" testId="settings-skeleton">
      <SkeletonHeading />
      <div className="grid items-start gap-4 lg:grid-cols-5">
        <div className="rounded-lg border border-slate-200 bg-white shadow-sm lg:col-span-3 dark:border-slate-800 dark:bg-slate-900">
          <div className="border-b border-slate-200 px-4 py-3 dark:border-slate-800"><SkeletonBar className="h-4 w-40" /></div>
          {Array.from({ length: 4 }, (_, i) => (
            <div key={i} className="flex items-center gap-3 border-b border-slate-100 px-4 py-3.5 last:border-0 dark:border-slate-800">
              <div className="flex-1 space-y-2">
                <SkeletonBar className={`h-3.5 ${i % 2 ? "w-36" : "w-48"}`} />
                <SkeletonBar className="h-2.5 w-64 max-w-full" />
              </div>
              <SkeletonBar className="h-8 w-20" />
            </div>
          ))}
        </div>
        <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:col-span-2 dark:border-slate-800 dark:bg-slate-900">
          <SkeletonBar className="h-4 w-28" />
          {Array.from({ length: 3 }, (_, i) => (
            <div key={i} className="space-y-2">
              <SkeletonBar className="h-3 w-24" />
              <SkeletonBar className="h-9 w-full" />
            </div>
          ))}
          <SkeletonBar className="h-9 w-28" />
        </div>
      </div>
    </SkeletonPage>
  );
}
