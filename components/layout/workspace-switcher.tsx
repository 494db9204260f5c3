"use client";
import { useRouter } from "next/navigation";

export function WorkspaceSwitcher({ current, workspaces }: { current: string; workspaces: { slug: string; name: string }[] }) {
  const router = useRouter();
  return (
    <select aria-label="Workspace" value={current} onChange={(e) => router.push(`/w/${e.target.value}/workflows`)}
      className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900">
      {workspaces.map((w) => <option key={w.slug} value={w.slug}>{w.name}</option>)}
    </select>
  );
}
