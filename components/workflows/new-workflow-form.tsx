"use client";
/**
 * Creates a workflow: name, title, description and a definition typed, pasted or imported
 * from a file, checked as it is typed. Creating publishes the definition as v1.
 */
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { createWorkflowAction } from "@/lib/actions/workflows";
import type { WorkflowFileMeta } from "@/lib/engine/definition-source";
import { Button } from "@/components/ui/button";
import { KeyHint, submitOnModEnter } from "@/components/ui/key-hint";
import { toast } from "@/components/ui/toast";
import { Field, fieldClass } from "@/components/settings/secret-forms";
import { DefinitionField } from "./definition-field";
import { readWorkflowFailure } from "./form-errors";
import { useDefinitionCheck } from "./use-definition-check";

export const STARTER_DEFINITION = `inputs:
  - name: name
    type: text
    label: Name
    default: World
steps:
  - id: greet
    kind: template
    name: Compose greeting
    config:
      template: "Hello, {{ inputs.name }}!"
outputs:
  greeting: "{{ steps.greet.output }}"
`;

/** A name suggested from a title or file name: lower-case, digits, '-' and '_'. */
function suggestName(text: string): string {
  return text.toLowerCase().replace(/\.(ya?ml|json)$/, "").replace(/[^a-z0-9_-]+/g, "-").replace(/^[-_]+|-+$/g, "").slice(0, 63);
}

export function NewWorkflowForm({ workspace, importFirst, canEdit }: { workspace: string; importFirst: boolean; canEdit: boolean }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [message, setMessage] = useState("Initial version");
  const [text, setText] = useState(importFirst ? "" : STARTER_DEFINITION);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const check = useDefinitionCheck(workspace, text);

  function imported(meta: WorkflowFileMeta) {
    if (meta.name && !name) setName(suggestName(meta.name));
    if (meta.title && !title) setTitle(meta.title);
    if (meta.description && !description) setDescription(meta.description);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setFailure(null);
    startTransition(async () => {
      const result = await createWorkflowAction({ workspace, name, title, description, message, text });
      if (result.ok) {
        toast.success(`Workflow ${result.data.name} created`, { description: "Published as v1." });
        router.push(`/w/${workspace}/workflows/${result.data.name}/versions?published=1`);
        return;
      }
      const read = readWorkflowFailure(result, ["name", "title", "description", "message"]);
      setErrors(read.fields);
      setFailure(read.message);
      if (read.definition) check.recheck();
    });
  }

  return (
    <form onSubmit={submit} onKeyDown={submitOnModEnter} noValidate className="space-y-5" data-testid="new-workflow-form">
      <div className="grid gap-4 md:grid-cols-2">
        <Field id="wf-name" label="Name" error={errors.name} hint="Used in URLs and the API: lower-case letters, digits, '-' and '_'.">
          <input id="wf-name" className={`${fieldClass} font-mono`} value={name} onChange={(e) => setName(e.target.value)}
            placeholder="invoice-summary" autoComplete="off" spellCheck={false} maxLength={63} disabled={!canEdit} />
        </Field>
        <Field id="wf-title" label="Title" error={errors.title} hint="Shown in the console. Defaults to the name.">
          <input id="wf-title" className={fieldClass} value={title} onChange={(e) => setTitle(e.target.value)}
            onBlur={() => { if (!name && title) setName(suggestName(title)); }}
            placeholder={name || "Invoice summary"} autoComplete="off" maxLength={200} disabled={!canEdit} />
        </Field>
      </div>
      <Field id="wf-description" label="Description" error={errors.description}>
        <input id="wf-description" className={fieldClass} value={description} onChange={(e) => setDescription(e.target.value)}
          placeholder="What it does, in a sentence" autoComplete="off" maxLength={5000} disabled={!canEdit} />
      </Field>

      <DefinitionField workspace={workspace} value={text} onChange={setText} check={check} readOnly={!canEdit}
        onImportedMeta={imported} importFirst={importFirst} />

      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-[16rem] flex-1">
          <Field id="wf-message" label="Version message" error={errors.message}>
            <input id="wf-message" className={fieldClass} value={message} onChange={(e) => setMessage(e.target.value)}
              maxLength={2000} autoComplete="off" disabled={!canEdit} />
          </Field>
        </div>
        <div className="flex items-center gap-3">
          {canEdit && <KeyHint combo="mod+enter" />}
          <Button type="submit" disabled={pending || !canEdit} data-testid="create-workflow">{pending ? "Creating…" : "Create workflow"}</Button>
        </div>
      </div>
      {failure && (
        <p role="alert" data-testid="workflow-form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{failure}</p>
      )}
      <p className="text-xs text-slate-500">Creating publishes this definition as v1. Ctrl+Enter (⌘+Enter) in any field creates it.</p>
    </form>
  );
}
