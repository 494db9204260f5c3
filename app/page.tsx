import { redirect } from "next/navigation";
import { getSessionUserId } from "@/lib/auth/session";
import { listWorkspacesForUser } from "@/lib/services/users";

export default async function Home() {
  const userId = await getSessionUserId();
  if (!userId) redirect("/login");
  const [first] = await listWorkspacesForUser(userId);
  // Someone who left (or was removed from) every workspace starts a new one.
  if (!first) redirect("/workspaces/new");
  redirect(`/w/${first.slug}/workflows`);
}
