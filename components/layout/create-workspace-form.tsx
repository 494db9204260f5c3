"use client";
/** Name + address of a new workspace; the address follows the name until edited by hand. */
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { createWorkspaceAction } from "@/lib/actions/workspaces";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { Field, fieldClass, readFailure } from "@/components/settings/secret-forms";

/** "Acme Data Team" → "acme-data-team". */
export function slugify(name: string): string {
  return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
}

export function CreateWorkspaceForm() {
  const router = useRouter();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setMessage(null);
    startTransition(async () => {
      const result = await createWorkspaceAction({ name, slug });
      if (result.ok) {
        toast.success(`Workspace ${name.trim() || result.data.slug} created`, { description: "You are its owner." });
        router.push(`/w/${result.data.slug}/workflows`);
        router.refresh();
        return;
      }
      const failure = readFailure(result, ["name", "slug"]);
      setErrors(failure.fields);
      setMessage(failure.message);
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid="new-workspace-form">
      <Field id="workspace-name" label="Name" error={errors.name}>
        <input id="workspace-name" className={fieldClass} value={name} maxLength={80} autoFocus autoComplete="off"
          placeholder="Data team"
          onChange={(e) => { setName(e.target.value); if (!slugEdited) setSlug(slugify(e.target.value)); }} />
      </Field>
      <Field id="workspace-slug" label="Address" error={errors.slug} hint={<>Pages live under <code className="font-mono">/w/{slug || "…"}</code></>}>
        <input id="workspace-slug" className={`${fieldClass} font-mono`} value={slug} maxLength={40} autoComplete="off" spellCheck={false}
          onChange={(e) => { setSlug(e.target.value); setSlugEdited(true); }} />
      </Field>
      {message && <p role="alert" data-testid="new-workspace-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
      <Button type="submit" disabled={pending}>{pending ? "Creating…" : "Create workspace"}</Button>
    </form>
  );
}
