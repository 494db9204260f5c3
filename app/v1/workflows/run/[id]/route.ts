/** GET /v1/workflows/run/{id} (Dify Workflow App API): see lib/compat/dify.ts. */
import { dify } from "@/lib/compat/dify";

export const dynamic = "force-dynamic";
export const GET = dify.getRun;
