import { promptlayer } from "@/lib/compat/promptlayer";

export const dynamic = "force-dynamic";
export const POST = promptlayer.wsToken;
