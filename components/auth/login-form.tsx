"use client";
import { useActionState } from "react";
import { signInAction } from "@/lib/actions/auth";
import { Button } from "@/components/ui/button";

export function LoginForm({ demo, callbackUrl }: { demo: boolean; callbackUrl?: string | null }) {
  const [state, action, pending] = useActionState(signInAction, null);
  const error = state?.error;
  return (
    <form action={action} className="space-y-4">
      {callbackUrl && <input type="hidden" name="callbackUrl" value={callbackUrl} />}
      <label className="block text-sm font-medium">
        Email
        {/* Keyed by the refused email: React resets a form after its action, and the email typed should stay. */}
        <input key={state?.email ?? ""} name="email" type="email" autoComplete="email" required
          defaultValue={state?.email ?? (demo ? "demo@flowdeck.local" : "")}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-950" />
      </label>
      <label className="block text-sm font-medium">
        Password
        <input name="password" type="password" autoComplete="current-password" required
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-950" />
      </label>
      {error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{error}</p>}
      <Button type="submit" className="w-full" disabled={pending}>{pending ? "Signing in…" : "Sign in"}</Button>
      {demo && (
        <p className="text-center text-xs text-slate-500">Demo: <code>demo@flowdeck.local</code> / <code>flowdeck</code></p>
      )}
    </form>
  );
}
