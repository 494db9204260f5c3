import { requireActor } from "@/lib/auth/session";
import { listInvitations } from "@/lib/services/invitations";
import { listMembers } from "@/lib/services/members";
import { listWorkspacesForUser } from "@/lib/services/users";
import { can } from "@/lib/services/permissions";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { formatRelative } from "@/components/ui/format";
import { MemberRow, type ShownTime } from "@/components/settings/member-row";
import { CreateInvitationForm } from "@/components/settings/invitation-forms";
import { InvitationRow } from "@/components/settings/invitation-row";

export const metadata = { title: "Members" };

/** "in 6 d", "in 3 h": how long until a future time. */
function formatUntil(date: Date, now: number): string {
  const s = Math.max(0, Math.round((date.getTime() - now) / 1000));
  if (s < 60) return "in under a minute";
  // Rounded to the nearest unit: a 7-day link reads "in 7 d" just after it is made.
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86_400 - 1800) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} d`;
}

export default async function MembersPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await params;
  const actor = await requireActor(workspace);
  const canManage = can(actor.role, "manage");
  const [members, invitations, workspaces] = await Promise.all([
    listMembers(actor),
    canManage ? listInvitations(actor, { limit: 50 }) : Promise.resolve([]),
    listWorkspacesForUser(actor.userId!),
  ]);
  const workspaceName = workspaces.find((w) => w.slug === workspace)?.name ?? workspace;
  const now = Date.now();
  const shown = (d: Date): ShownTime => ({ iso: d.toISOString(), ago: formatRelative(d, now) });
  const owners = members.filter((m) => m.role === "owner").length;
  const me = members.find((m) => m.userId === actor.userId);
  const pendingCount = invitations.filter((i) => i.state === "pending").length;
  // Pending links first, then the rest, newest first within each.
  const ordered = [...invitations].sort((a, b) => Number(b.state === "pending") - Number(a.state === "pending"));

  return (
    <div className="space-y-4">
      <div>
        <p className="text-sm text-slate-500">Settings</p>
        <h1 className="text-xl font-semibold">Members</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-500">
          Who can use <strong>{workspaceName}</strong>. Viewers can read workflows and runs; members can also run and edit
          workflows; admins also manage members, API keys and secrets; owners also manage owners. A workspace always keeps
          at least one owner.
        </p>
      </div>

      {!canManage && (
        <p data-testid="members-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Only admins and owners can invite people, change roles or remove members. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}
      {me?.role === "owner" && owners === 1 && (
        <p data-testid="members-last-owner" className="text-sm text-slate-500">
          You are the only owner: to leave, first make someone else owner.
        </p>
      )}

      <div className={canManage ? "grid items-start gap-4 lg:grid-cols-5" : ""}>
        <Card title={`Members (${members.length})`} className={canManage ? "lg:col-span-3" : ""}>
          <ul data-testid="members-list" className="-m-4 divide-y divide-slate-100 dark:divide-slate-800">
            {members.map((m) => (
              <MemberRow key={m.userId} workspace={workspace} workspaceName={workspaceName} userId={m.userId} email={m.email}
                name={m.name} role={m.role} joined={shown(m.joinedAt)} isYou={m.userId === actor.userId}
                actorRole={actor.role} canManage={canManage} lastOwner={m.role === "owner" && owners === 1} />
            ))}
          </ul>
        </Card>

        {canManage && (
          <Card title="Invite someone" className="lg:col-span-2">
            <CreateInvitationForm workspace={workspace}
              roles={actor.role === "owner" ? ["viewer", "member", "admin", "owner"] : ["viewer", "member", "admin"]} />
          </Card>
        )}
      </div>

      {canManage && (
        <Card title={`Invitation links (${pendingCount} pending)`}>
          {ordered.length === 0 ? (
            <EmptyState icon="people" testId="invitations-empty" title="No invitations yet"
              action={<a href="#invite-role" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">Invite someone →</a>}>
              Create a link with the form above and send it to the person you want to add. Links work once and expire.
            </EmptyState>
          ) : (
            <ul data-testid="invitations-list" className="-m-4 divide-y divide-slate-100 dark:divide-slate-800">
              {ordered.map((i) => (
                <InvitationRow key={i.id} workspace={workspace} id={i.id} role={i.role} email={i.email} state={i.state}
                  created={shown(i.createdAt)} createdBy={i.createdBy} expires={shown(i.expiresAt)} expiresIn={formatUntil(i.expiresAt, now)}
                  used={i.usedAt ? shown(i.usedAt) : null} usedBy={i.usedBy} revoked={i.revokedAt ? shown(i.revokedAt) : null} />
              ))}
            </ul>
          )}
        </Card>
      )}
    </div>
  );
}
