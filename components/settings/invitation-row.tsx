"use client";
/** One invitation link in the Members page: role, who it is for, its state, and revoke while pending. */
import { useState, useTransition } from "react";
import { revokeInvitationAction } from "@/lib/actions/members";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { RoleBadge, Time, type RoleName, type ShownTime } from "./member-row";

export type InvitationStateName = "pending" | "used" | "expired" | "revoked";

const STATE_TONE: Record<InvitationStateName, string> = {
  pending: "bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300",
  used: "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300",
  expired: "bg-slate-100 text-slate-500 dark:bg-slate-800 dark:text-slate-400",
  revoked: "bg-red-50 text-red-700 dark:bg-red-950 dark:text-red-300",
};

export function InvitationRow(props: {
  workspace: string;
  id: number;
  role: RoleName;
  email: string | null;
  state: InvitationStateName;
  created: ShownTime;
  createdBy: string | null;
  /** Pending: when it expires; used: when and by whom; revoked: when. */
  expires: ShownTime;
  expiresIn: string;
  used: ShownTime | null;
  usedBy: string | null;
  revoked: ShownTime | null;
}) {
  const { workspace, id, state } = props;
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function revoke() {
    setMessage(null);
    startTransition(async () => {
      const result = await revokeInvitationAction({ workspace, id });
      // On success the page is revalidated and the row shows the link as revoked.
      setConfirming(false);
      if (!result.ok) setMessage(result.message);
      else toast.success("Invitation link revoked", { description: "Nobody can join with it now." });
    });
  }

  return (
    <li data-testid={`invitation-${id}`} data-state={state} className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <RoleBadge role={props.role} />
            <span className="truncate text-sm" data-testid="invitation-email">{props.email ?? <span className="text-slate-500">anyone with the link</span>}</span>
            <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATE_TONE[state]}`} data-testid="invitation-state">{state}</span>
          </div>
          <div className="mt-0.5 text-xs text-slate-500">
            created <Time at={props.created} />{props.createdBy && <> by {props.createdBy}</>}
            {" · "}
            {state === "pending" && <>expires <time dateTime={props.expires.iso} title={props.expires.iso.replace("T", " ").slice(0, 19) + " UTC"}>{props.expiresIn}</time></>}
            {state === "expired" && <>expired <Time at={props.expires} /></>}
            {state === "used" && props.used && <>used <Time at={props.used} />{props.usedBy && <> by {props.usedBy}</>}</>}
            {state === "revoked" && props.revoked && <>revoked <Time at={props.revoked} /></>}
          </div>
        </div>
        {state === "pending" && !confirming && (
          <Button variant="danger-outline" type="button" onClick={() => { setMessage(null); setConfirming(true); }}>Revoke</Button>
        )}
      </div>
      {state === "pending" && confirming && (
        <div className="mt-2 flex flex-wrap items-center justify-end gap-2 rounded-md bg-red-50 px-3 py-2 text-sm dark:bg-red-950/40" data-testid="confirm-revoke-invitation">
          <span className="mr-auto text-slate-700 dark:text-slate-200">Revoke this link? Nobody will be able to join with it.</span>
          <Button variant="danger" type="button" disabled={pending} onClick={revoke}>{pending ? "Revoking…" : "Yes, revoke"}</Button>
          <Button variant="ghost" type="button" disabled={pending} onClick={() => setConfirming(false)}>Cancel</Button>
        </div>
      )}
      {message && <p role="alert" data-testid="invitation-row-error" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
    </li>
  );
}
