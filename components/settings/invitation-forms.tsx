"use client";
/**
 * The invite form of the Members page. On success the link is shown here once, with a copy
 * button; it lives only in this component's state (Flowdeck keeps only a hash of its token).
 */
import { useState, useTransition, type FormEvent } from "react";
import { createInvitationAction, type CreatedInvitation } from "@/lib/actions/members";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { RelativeTime } from "@/components/ui/relative-time";
import { Field, fieldClass, readFailure } from "./secret-forms";
import { ROLE_HINTS, type RoleName } from "./member-row";

const DEFAULT_DAYS = 7;

export function CreateInvitationForm({ workspace, roles }: { workspace: string; roles: RoleName[] }) {
  const [role, setRole] = useState<RoleName>("member");
  const [email, setEmail] = useState("");
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [pending, startTransition] = useTransition();

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setMessage(null);
    const expiresInDays = Number(days);
    startTransition(async () => {
      const result = await createInvitationAction({ workspace, role, email, expiresInDays: Number.isFinite(expiresInDays) ? expiresInDays : 0 });
      if (result.ok) {
        toast.success("Invitation link created", { description: "Copy it now: it is shown only once." });
        setCreated(result.data);
        setEmail("");
        setDays(String(DEFAULT_DAYS));
        setRole("member");
        return;
      }
      const failure = readFailure(result, ["role", "email", "expiresInDays"]);
      setErrors(failure.fields);
      setMessage(failure.message);
    });
  }

  if (created) return <NewInvitationPanel created={created} onDone={() => setCreated(null)} />;

  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid="invite-form">
      <Field id="invite-role" label="Role" error={errors.role} hint={`A ${role} can ${ROLE_HINTS[role]}.`}>
        <select id="invite-role" className={fieldClass} value={role} onChange={(e) => setRole(e.target.value as RoleName)}>
          {roles.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
      </Field>
      <Field id="invite-email" label="Email" error={errors.email} hint="Optional: only the person signed in with this email can use the link.">
        <input id="invite-email" type="email" className={fieldClass} value={email} onChange={(e) => setEmail(e.target.value)}
          placeholder="anyone with the link" autoComplete="off" maxLength={320} />
      </Field>
      <Field id="invite-days" label="Expires after (days)" error={errors.expiresInDays} hint="The link works once, until then.">
        <input id="invite-days" type="number" min={1} max={90} step={1} className={fieldClass} value={days} onChange={(e) => setDays(e.target.value)} />
      </Field>
      {message && <p role="alert" data-testid="invite-form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
      <Button type="submit" disabled={pending}>{pending ? "Creating…" : "Create invitation link"}</Button>
    </form>
  );
}

/** The new link, once: copy it now or create another. */
function NewInvitationPanel({ created, onDone }: { created: CreatedInvitation; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const link = typeof window === "undefined" ? created.path : `${window.location.origin}${created.path}`;

  function copy() {
    const copied = navigator.clipboard?.writeText(link) ?? Promise.reject(new Error("no clipboard"));
    copied.then(
      () => { setCopied("yes"); toast.success("Link copied to the clipboard"); },
      () => { setCopied("failed"); toast.error("Could not copy the link", { description: "Select it and copy it by hand." }); },
    );
  }

  return (
    <div className="space-y-3" data-testid="new-invite-panel">
      <p role="status" className="text-sm font-medium text-emerald-700 dark:text-emerald-400">
        Invitation for a <strong>{created.role}</strong>{created.email ? <> ({created.email})</> : null} created.
      </p>
      <div className="flex items-stretch gap-2">
        <input readOnly aria-label="Invitation link" data-testid="new-invite-link" value={link}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-xs focus:border-indigo-500 focus:outline-none dark:border-slate-700 dark:bg-slate-950" />
        <Button type="button" variant="secondary" onClick={copy}>{copied === "yes" ? "Copied" : "Copy"}</Button>
      </div>
      <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-300" data-testid="new-invite-warning">
        Send this link now: <strong>it is shown only once.</strong> It works for one person and expires{" "}
        <RelativeTime at={created.expiresAt} />.
        {copied === "failed" && " (The browser refused the copy: select the link and copy it by hand.)"}
      </p>
      <Button type="button" variant="ghost" onClick={onDone}>Done</Button>
    </div>
  );
}
