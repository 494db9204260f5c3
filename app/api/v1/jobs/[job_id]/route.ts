/** Unstructured: a job's JobInformation (lib/compat/unstructured.ts). */
import { unstructured } from "@/lib/compat/unstructured";

export const dynamic = "force-dynamic";
export const GET = unstructured.getJob;
