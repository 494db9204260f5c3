/** Datalab: an execution's status and results (lib/compat/datalab.ts). */
import { datalab } from "@/lib/compat/datalab";

export const dynamic = "force-dynamic";
export const GET = datalab.getExecution;
