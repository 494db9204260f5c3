/** Datalab: execute a workflow (lib/compat/datalab.ts). */
import { datalab } from "@/lib/compat/datalab";

export const dynamic = "force-dynamic";
export const POST = datalab.execute;
