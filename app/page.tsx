import { redirect } from "next/navigation";
import { getSessionUserId } from "@/lib/auth/session";
import { listWorkspacesForUser } from "@/lib/services/users";

export default async function Home() {
  const userId = await getSessionUserId();
  if (!userId) redirect("/login");
  const [first] = await listWorkspacesForUser(userId);
  if (!first) redirect("/login?error=no-workspace");
  redirect(`/w/${first.slug}/workflows`);
}
