"use client";
/** The header's workspace picker: every workspace the user belongs to, and "New workspace…". */
import { useRouter } from "next/navigation";

const NEW = "__new__";

export function WorkspaceSwitcher({ current, workspaces }: {
  current: string;
  workspaces: { slug: string; name: string; role?: string }[];
}) {
  const router = useRouter();
  return (
    <select aria-label="Workspace" value={current}
      onChange={(e) => router.push(e.target.value === NEW ? "/workspaces/new" : `/w/${e.target.value}/workflows`)}
      className="min-w-0 max-w-44 shrink rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900">
      {workspaces.map((w) => (
        <option key={w.slug} value={w.slug} title={w.role ? `${w.name} · ${w.role}` : w.name}>{w.name}</option>
      ))}
      <option disabled>──────────</option>
      <option value={NEW}>+ New workspace…</option>
    </select>
  );
}
