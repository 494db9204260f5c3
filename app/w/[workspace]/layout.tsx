import Link from "next/link";
import type { ReactNode } from "react";
import { notFound } from "next/navigation";
import { requireUserId } from "@/lib/auth/session";
import { listWorkspacesForUser } from "@/lib/services/users";
import { signOutAction } from "@/lib/actions/auth";
import { WorkspaceSwitcher } from "@/components/layout/workspace-switcher";

export default async function WorkspaceLayout({ children, params }: { children: ReactNode; params: Promise<{ workspace: string }> }) {
  const { workspace } = await params;
  const userId = await requireUserId();
  const workspaces = await listWorkspacesForUser(userId);
  if (!workspaces.some((w) => w.slug === workspace)) notFound();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-6xl items-center gap-6 px-4 py-3">
          <Link href="/" className="font-bold tracking-tight">Flowdeck</Link>
          <WorkspaceSwitcher current={workspace} workspaces={workspaces} />
          <nav className="flex gap-4 text-sm">
            <Link href={`/w/${workspace}/workflows`} className="text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">Workflows</Link>
            <Link href={`/w/${workspace}/runs`} className="text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">Runs</Link>
            <Link href={`/w/${workspace}/settings/secrets`} className="text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">Secrets</Link>
            <Link href={`/w/${workspace}/settings/api-keys`} className="text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">API keys</Link>
            <Link href={`/w/${workspace}/settings/members`} className="text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">Members</Link>
            <Link href={`/w/${workspace}/settings/share-links`} className="text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">Share links</Link>
          </nav>
          <form action={signOutAction} className="ml-auto">
            <button className="text-sm text-slate-500 hover:text-slate-800 dark:hover:text-white">Sign out</button>
          </form>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-6">{children}</main>
    </div>
  );
}
