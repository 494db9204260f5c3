import Link from "next/link";
import { requireUserId } from "@/lib/auth/session";
import { listWorkspacesForUser } from "@/lib/services/users";
import { signOutAction } from "@/lib/actions/auth";
import { CreateWorkspaceForm } from "@/components/layout/create-workspace-form";

export const metadata = { title: "New workspace" };

export default async function NewWorkspacePage() {
  const userId = await requireUserId();
  const workspaces = await listWorkspacesForUser(userId);
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-1 text-sm font-bold tracking-tight text-slate-500">Flowdeck</div>
        <h1 className="text-xl font-semibold">New workspace</h1>
        <p className="mb-5 mt-1 text-sm text-slate-500">
          {workspaces.length
            ? "A separate space for another team's workflows, runs, keys and members. You will be its owner."
            : "You do not belong to any workspace yet. Create one (you will be its owner), or open an invitation link someone sent you."}
        </p>
        <CreateWorkspaceForm />
        <div className="mt-6 flex items-center justify-between text-sm">
          {workspaces.length > 0
            ? <Link href={`/w/${workspaces[0].slug}/workflows`} className="text-indigo-600 hover:underline dark:text-indigo-400">← Back to {workspaces[0].name}</Link>
            : <span />}
          <form action={signOutAction}><button className="text-slate-500 hover:text-slate-800 dark:hover:text-white">Sign out</button></form>
        </div>
      </div>
    </main>
  );
}
