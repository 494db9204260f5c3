/** Session guards for pages and server actions. */
import { cache } from "react";
import { redirect } from "next/navigation";
import { auth } from "./auth";
import { getActorForUser } from "../services/users";
import type { Actor } from "../schemas/workspace";

/** The signed-in user's id, or null. Read once per server render (the layout and the page both ask). */
export const getSessionUserId = cache(async (): Promise<string | null> => {
  const session = await auth();
  return session?.user?.id ?? null;
});

/** The signed-in user's id; sends anyone else to the sign-in page. */
export async function requireUserId(): Promise<string> {
  const userId = await getSessionUserId();
  if (!userId) redirect("/login");
  return userId;
}

/** The actor for the signed-in user in workspace `slug` (NotFound if not a member). */
export async function requireActor(slug: string): Promise<Actor> {
  return getActorForUser(await requireUserId(), slug);
}
