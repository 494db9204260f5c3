"use client";
/**
 * Cancels the run shown on the page. The page says "cancelling…" the moment it is clicked
 * (before the server answers); the run's own run_finished event then ends it. Shown only
 * while the live state says the run is queued or running.
 */
import { useState, useTransition } from "react";
import { cancelRunAction } from "@/lib/actions/rerun";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { useMarkCancelRequested, useRunViewState } from "./use-run-events";

export function CancelRunButton({ workspace, runId, initialStatus }: { workspace: string; runId: string; initialStatus: string }) {
  const live = useRunViewState(runId);
  const markCancelling = useMarkCancelRequested(runId);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);

  const status = live?.status ?? initialStatus;
  if (live?.ended || !["queued", "running"].includes(status)) return null;
  const requested = live?.cancelRequested ?? false;

  const cancel = () => {
    setError(null);
    markCancelling(true);
    startTransition(async () => {
      const result = await cancelRunAction({ workspace, runId });
      if (!result.ok) {
        markCancelling(false);
        setError(result.message);
        return;
      }
      if (result.data.changed) toast.success("Cancel requested", { description: "Running steps are being stopped." });
      else toast.info("Nothing to cancel", { description: `The run had already ${result.data.status}.` });
    });
  };

  return (
    <span className="inline-flex flex-col items-end gap-1">
      <Button type="button" variant="danger" onClick={cancel} disabled={requested || pending} data-testid="cancel-run">
        {requested || pending ? "Cancelling…" : "Cancel run"}
      </Button>
      {error && <span role="alert" data-testid="cancel-error" className="max-w-xs text-right text-xs text-red-600 dark:text-red-400">{error}</span>}
    </span>
  );
}
