import Link from "next/link";
import type { ReactNode } from "react";
import { notFound } from "next/navigation";
import { requireUserId } from "@/lib/auth/session";
import { listWorkspacesForUser } from "@/lib/services/users";
import { signOutAction } from "@/lib/actions/auth";
import { HeaderNav } from "@/components/layout/header-nav";
import { readThemeChoice } from "@/components/layout/theme-server";
import { ThemeToggle } from "@/components/layout/theme-toggle";
import { WorkspaceSwitcher } from "@/components/layout/workspace-switcher";

export default async function WorkspaceLayout({ children, params }: { children: ReactNode; params: Promise<{ workspace: string }> }) {
  const { workspace } = await params;
  const userId = await requireUserId();
  const workspaces = await listWorkspacesForUser(userId);
  if (!workspaces.some((w) => w.slug === workspace)) notFound();
  const theme = await readThemeChoice();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-6xl items-center gap-3 px-4 py-2.5 lg:gap-4">
          <Link href="/" className="shrink-0 font-bold tracking-tight">Flowdeck</Link>
          <WorkspaceSwitcher current={workspace} workspaces={workspaces} />
          <HeaderNav workspace={workspace} />
          <div className="ml-auto flex shrink-0 items-center gap-3">
            <ThemeToggle initial={theme} />
            <form action={signOutAction}>
              <button className="whitespace-nowrap text-sm text-slate-500 hover:text-slate-800 dark:text-slate-400 dark:hover:text-white">Sign out</button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-6">{children}</main>
    </div>
  );
}
