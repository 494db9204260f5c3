/** POST /v1/workflows/tasks/{task_id}/stop (Dify Workflow App API): see lib/compat/dify.ts. */
import { dify } from "@/lib/compat/dify";

export const dynamic = "force-dynamic";
export const POST = dify.stop;
