"use client";
/**
 * One member in the Members list: who they are, their role (a picker for those allowed to
 * change it), when they joined, and remove / leave with an inline confirmation. The server
 * decides every change; the controls shown here only mirror its rules.
 */
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { changeMemberRoleAction, leaveWorkspaceAction, removeMemberAction } from "@/lib/actions/members";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";

export type RoleName = "owner" | "admin" | "member" | "viewer";

export const ROLE_HINTS: Record<RoleName, string> = {
  owner: "everything, including owners",
  admin: "manage members, keys and secrets",
  member: "run and edit workflows",
  viewer: "read only",
};

/** A time as words, with the exact UTC time on hover. Both computed on the server. */
export interface ShownTime {
  iso: string;
  ago: string;
}

export function Time({ at }: { at: ShownTime }) {
  return <time dateTime={at.iso} title={at.iso.replace("T", " ").slice(0, 19) + " UTC"}>{at.ago}</time>;
}

export function RoleBadge({ role }: { role: RoleName }) {
  const tone = role === "owner"
    ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
    : role === "admin"
      ? "bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300"
      : "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300";
  return <span className={`rounded px-1.5 py-0.5 text-xs ${tone}`} data-testid="member-role">{role}</span>;
}

export function MemberRow(props: {
  workspace: string;
  workspaceName: string;
  userId: string;
  email: string;
  name: string | null;
  role: RoleName;
  joined: ShownTime;
  isYou: boolean;
  /** The viewer's own role, and whether they may manage members at all. */
  actorRole: RoleName;
  canManage: boolean;
  /** True when this member is the only owner (they cannot be demoted, removed or leave). */
  lastOwner: boolean;
}) {
  const { workspace, userId, role, isYou, actorRole, canManage, lastOwner } = props;
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  // Mirrors the service: admins and owners change roles; only owners touch the owner role.
  const canEditRole = canManage && (actorRole === "owner" || role !== "owner") && !lastOwner;
  const canRemove = !isYou && canManage && (actorRole === "owner" || role !== "owner");
  const roleChoices: RoleName[] = actorRole === "owner" ? ["owner", "admin", "member", "viewer"] : ["admin", "member", "viewer"];

  function setRole(next: RoleName) {
    if (next === role) return;
    setMessage(null);
    startTransition(async () => {
      const result = await changeMemberRoleAction({ workspace, userId, role: next });
      if (!result.ok) {
        setMessage(result.message);
        return;
      }
      toast.success(isYou ? `Your role is now ${next}` : `${who} is now ${/^[aeiou]/.test(next) ? "an" : "a"} ${next}`);
      // Changing your own role changes what this page may show you.
      if (isYou) router.refresh();
    });
  }

  function confirmRemoval() {
    setMessage(null);
    startTransition(async () => {
      if (isYou) {
        const result = await leaveWorkspaceAction({ workspace });
        if (result.ok) {
          toast.success(`You left ${props.workspaceName}`);
          router.push(result.data.next);
          router.refresh();
          return;
        }
        setMessage(result.message);
      } else {
        const result = await removeMemberAction({ workspace, userId });
        // On success the page is revalidated and this row disappears.
        if (!result.ok) setMessage(result.message);
        else toast.success(`${who} removed`, { description: `They no longer have access to ${props.workspaceName}.` });
      }
      setConfirming(false);
    });
  }

  const who = props.name || props.email;
  return (
    <li data-testid={`member-${props.email}`} data-role={role} className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <span className="truncate text-sm font-medium" data-testid="member-name">{who}</span>
            {isYou && <span className="rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300">you</span>}
            {!canEditRole && <RoleBadge role={role} />}
          </div>
          <div className="mt-0.5 text-xs text-slate-500">
            {props.name && <span className="mr-1">{props.email} ·</span>}
            joined <Time at={props.joined} />
            {lastOwner && <span> · the only owner</span>}
          </div>
        </div>
        {canEditRole && (
          <label className="flex items-center gap-2 text-xs text-slate-500">
            <span className="sr-only">Role of {who}</span>
            <select aria-label={`Role of ${props.email}`} value={role} disabled={pending} onChange={(e) => setRole(e.target.value as RoleName)}
              className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-800 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100">
              {roleChoices.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
        )}
        {(canRemove || (isYou && !lastOwner)) && !confirming && (
          <Button variant="danger-outline" type="button" disabled={pending}
            onClick={() => { setMessage(null); setConfirming(true); }}>
            {isYou ? "Leave" : "Remove"}
          </Button>
        )}
      </div>
      {confirming && (
        <div className="mt-2 flex flex-wrap items-center justify-end gap-2 rounded-md bg-red-50 px-3 py-2 text-sm dark:bg-red-950/40" data-testid="confirm-remove">
          <span className="mr-auto text-slate-700 dark:text-slate-200">
            {isYou
              ? `Leave “${props.workspaceName}”? You will need a new invitation to come back.`
              : `Remove ${who} from “${props.workspaceName}”? They lose access at once.`}
          </span>
          <Button variant="danger" type="button" disabled={pending} onClick={confirmRemoval}>
            {pending ? (isYou ? "Leaving…" : "Removing…") : isYou ? "Yes, leave" : "Yes, remove"}
          </Button>
          <Button variant="ghost" type="button" disabled={pending} onClick={() => setConfirming(false)}>Cancel</Button>
        </div>
      )}
      {message && <p role="alert" data-testid="member-row-error" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
    </li>
  );
}
