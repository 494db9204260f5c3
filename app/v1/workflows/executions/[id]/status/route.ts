import { vellum } from "@/lib/compat/vellum";

export const dynamic = "force-dynamic";
export const GET = vellum.executionStatus;
