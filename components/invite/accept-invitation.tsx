"use client";
/** The invite page's one button: join the workspace, then open it. */
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { acceptInvitationAction } from "@/lib/actions/members";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";

export function AcceptInvitation({ token, workspaceName }: { token: string; workspaceName: string }) {
  const router = useRouter();
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function accept() {
    setMessage(null);
    startTransition(async () => {
      const result = await acceptInvitationAction({ token });
      if (!result.ok) {
        setMessage(result.message);
        return;
      }
      toast.success(`Welcome to ${workspaceName}`, { description: `You joined as ${result.data.role}.` });
      router.push(`/w/${result.data.workspace}/workflows`);
      router.refresh();
    });
  }

  return (
    <div className="space-y-3">
      <Button type="button" className="w-full" disabled={pending} onClick={accept} autoFocus>
        {pending ? "Joining…" : `Join ${workspaceName}`}
      </Button>
      {message && <p role="alert" data-testid="invite-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{message}</p>}
    </div>
  );
}
