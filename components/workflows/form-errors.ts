/** Splits a failed workflow action into field messages, definition problems and one general message. */
import type { ActionResult } from "@/lib/actions/action-result";

export interface WorkflowFormFailure {
  fields: Record<string, string>;
  /** True when the server found problems in the definition (listed by the checker). */
  definition: boolean;
  message: string;
}

export function readWorkflowFailure(result: Extract<ActionResult<unknown>, { ok: false }>, fields: string[]): WorkflowFormFailure {
  const out: WorkflowFormFailure = { fields: {}, definition: false, message: result.message };
  for (const err of result.errors ?? []) {
    // Definition problems carry loc ["definition", …path]; a path may end in "name" too.
    if (err.loc[0] === "definition") out.definition = true;
    else if (fields.includes(String(err.loc[0]))) out.fields[String(err.loc[0])] ??= err.msg;
  }
  if (!out.definition && Object.keys(out.fields).length > 0) out.message = "Please fix the highlighted fields.";
  return out;
}
