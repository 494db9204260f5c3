import Link from "next/link";
import type { ReactNode } from "react";
import { getSessionUserId } from "@/lib/auth/session";
import { NotFoundError } from "@/lib/services/errors";
import { previewInvitation, type InvitationPreview } from "@/lib/services/invitations";
import { AcceptInvitation } from "@/components/invite/accept-invitation";
import { RelativeTime } from "@/components/ui/relative-time";

export const metadata = { title: "Invitation", robots: { index: false } };

function Panel({ state, title, children }: { state: string; title: ReactNode; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div data-testid="invite-panel" data-state={state}
        className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-1 text-sm font-bold tracking-tight text-slate-500">Flowdeck</div>
        <h1 className="text-xl font-semibold" data-testid="invite-title">{title}</h1>
        <div className="mt-3 space-y-4 text-sm text-slate-600 dark:text-slate-300">{children}</div>
      </div>
    </main>
  );
}

const ENDED: Record<Exclude<InvitationPreview["state"], "pending">, string> = {
  used: "This invitation link has already been used",
  expired: "This invitation link has expired",
  revoked: "This invitation link was revoked",
};

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const userId = await getSessionUserId();
  let invitation: InvitationPreview;
  try {
    invitation = await previewInvitation(token, userId);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return (
      <Panel state="unknown" title="This invitation link does not work">
        <p>Check that you copied the whole link, or ask whoever invited you for a new one.</p>
      </Panel>
    );
  }
  const { workspace, role } = invitation;
  const openLink = (
    <Link href={`/w/${workspace.slug}/workflows`} className="inline-block font-medium text-indigo-600 hover:underline dark:text-indigo-400">
      Open {workspace.name} →
    </Link>
  );

  if (invitation.currentRole) {
    return (
      <Panel state="member" title={`You are a member of ${workspace.name}`}>
        <p>Your role there is <strong>{invitation.currentRole}</strong>.</p>
        {openLink}
      </Panel>
    );
  }
  if (invitation.state !== "pending") {
    return (
      <Panel state={invitation.state} title={ENDED[invitation.state]}>
        <p>Invitation links work once and for a limited time. Ask an admin of the workspace for a new one.</p>
      </Panel>
    );
  }
  const details = (
    <p>
      You are invited to join <strong>{workspace.name}</strong> as <strong data-testid="invite-role">{role}</strong>
      {invitation.email && <> (for {invitation.email})</>}. The link expires{" "}
      <RelativeTime at={invitation.expiresAt} now={Date.now()} />.
    </p>
  );
  if (!userId) {
    return (
      <Panel state="pending" title={`Join ${workspace.name}`}>
        {details}
        <Link href={`/login?callbackUrl=${encodeURIComponent(`/invite/${token}`)}`}
          className="block rounded-md bg-indigo-600 px-3.5 py-2 text-center text-sm font-medium text-white shadow-sm hover:bg-indigo-500">
          Sign in to accept
        </Link>
      </Panel>
    );
  }
  return (
    <Panel state="pending" title={`Join ${workspace.name}`}>
      {details}
      <AcceptInvitation token={token} workspaceName={workspace.name} />
    </Panel>
  );
}
