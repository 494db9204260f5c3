import { redirect } from "next/navigation";
import { LoginForm } from "@/components/auth/login-form";
import { getSessionUserId } from "@/lib/auth/session";

export const metadata = { title: "Sign in" };

export default async function LoginPage() {
  if (await getSessionUserId()) redirect("/");
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-6 text-center">
          <div className="text-2xl font-bold tracking-tight">Flowdeck</div>
          <p className="text-sm text-slate-500">Sign in to run your workflows</p>
        </div>
        <LoginForm demo={process.env.FLOWDECK_DEMO !== "off"} />
      </div>
    </main>
  );
}
