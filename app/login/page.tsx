import { redirect } from "next/navigation";
import { LoginForm } from "@/components/auth/login-form";
import { getSessionUserId } from "@/lib/auth/session";
import { safeCallbackPath } from "@/lib/auth/callback-url";
import { readThemeChoice } from "@/components/layout/theme-server";
import { ThemeToggle } from "@/components/layout/theme-toggle";

export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string | string[] }> }) {
  const callbackUrl = safeCallbackPath((await searchParams).callbackUrl);
  if (await getSessionUserId()) redirect(callbackUrl ?? "/");
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4 px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-6 text-center">
          <div className="text-2xl font-bold tracking-tight">Flowdeck</div>
          <p className="text-sm text-slate-500">Sign in to run your workflows</p>
        </div>
        {callbackUrl?.startsWith("/invite/") && (
          <p data-testid="login-invite-note" className="mb-4 rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200">
            Sign in to accept your invitation. You will come back to it right after.
          </p>
        )}
        <LoginForm demo={process.env.FLOWDECK_DEMO !== "off"} callbackUrl={callbackUrl} />
      </div>
      <ThemeToggle initial={await readThemeChoice()} />
    </main>
  );
}
