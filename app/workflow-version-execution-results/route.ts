import { promptlayer } from "@/lib/compat/promptlayer";

export const dynamic = "force-dynamic";
export const GET = promptlayer.results;
