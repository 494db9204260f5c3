"use client";
/**
 * Edits a workflow's definition, starting from one of its versions, and publishes the result
 * as the next immutable version with a message. Viewers see the text read-only.
 */
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { publishVersionAction } from "@/lib/actions/workflows";
import { Button } from "@/components/ui/button";
import { KeyHint, submitOnModEnter } from "@/components/ui/key-hint";
import { toast } from "@/components/ui/toast";
import { Field, fieldClass } from "@/components/settings/secret-forms";
import { DefinitionField } from "./definition-field";
import { readWorkflowFailure } from "./form-errors";
import { useDefinitionCheck } from "./use-definition-check";

export function PublishForm(props: {
  workspace: string;
  workflow: string;
  /** The version the text starts from, and its canonical text. */
  baseVersion: number;
  baseText: string;
  nextVersion: number;
  canEdit: boolean;
}) {
  const { workspace, workflow, canEdit } = props;
  const router = useRouter();
  const [text, setText] = useState(props.baseText);
  const [message, setMessage] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const check = useDefinitionCheck(workspace, text);
  const unchanged = text === props.baseText;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setErrors({});
    setFailure(null);
    startTransition(async () => {
      const result = await publishVersionAction({ workspace, workflow, message, text });
      if (result.ok) {
        toast.success(`Published v${result.data.version}`, { description: "Point a label at it to use it by name." });
        router.push(`/w/${workspace}/workflows/${workflow}/versions?published=${result.data.version}`);
        return;
      }
      const read = readWorkflowFailure(result, ["message"]);
      setErrors(read.fields);
      setFailure(read.message);
      if (read.definition) check.recheck();
    });
  }

  return (
    <form onSubmit={submit} onKeyDown={submitOnModEnter} noValidate className="space-y-5" data-testid="publish-form">
      <DefinitionField workspace={workspace} value={text} onChange={setText} check={check} readOnly={!canEdit} />
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-[16rem] flex-1">
          <Field id="version-message" label="Version message" error={errors.message}
            hint={`What changed since v${props.baseVersion}. Versions never change once published.`}>
            <input id="version-message" className={fieldClass} value={message} onChange={(e) => setMessage(e.target.value)}
              placeholder="e.g. Friendlier greeting" maxLength={2000} autoComplete="off" disabled={!canEdit} />
          </Field>
        </div>
        {!unchanged && canEdit && (
          <Button type="button" variant="ghost" onClick={() => setText(props.baseText)} disabled={pending}>Discard changes</Button>
        )}
        <div className="flex items-center gap-3">
          {canEdit && <KeyHint combo="mod+enter" />}
          <Button type="submit" disabled={pending || !canEdit} data-testid="publish-version">
            {pending ? "Publishing…" : `Publish v${props.nextVersion}`}
          </Button>
        </div>
      </div>
      {unchanged && canEdit && <p className="text-xs text-slate-500">The text is the same as v{props.baseVersion}: publishing now makes an identical new version.</p>}
      {failure && (
        <p role="alert" data-testid="workflow-form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{failure}</p>
      )}
    </form>
  );
}
