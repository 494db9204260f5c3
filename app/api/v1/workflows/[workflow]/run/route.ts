/** Unstructured: run a workflow by UUID (lib/compat/unstructured.ts); `[workflow]` is its workflow_id. */
import { unstructured } from "@/lib/compat/unstructured";

export const dynamic = "force-dynamic";
export const POST = unstructured.runWorkflow;
