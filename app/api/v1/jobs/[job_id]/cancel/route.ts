/** Unstructured: cancel a job (lib/compat/unstructured.ts). */
import { unstructured } from "@/lib/compat/unstructured";

export const dynamic = "force-dynamic";
export const POST = unstructured.cancelJob;
