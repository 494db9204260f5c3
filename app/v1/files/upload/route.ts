/** POST /v1/files/upload (Dify Workflow App API): see lib/compat/dify.ts. */
import { dify } from "@/lib/compat/dify";

export const dynamic = "force-dynamic";
export const POST = dify.upload;
