"use client";
/**
 * Live run state: starts from the server-rendered frames, then follows the run's SSE
 * stream, appending each frame to the query cache. EventSource reconnects by itself and
 * sends Last-Event-ID, so a dropped connection resumes exactly where it stopped.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { isFinalStatus, type RunEventFrame } from "@/lib/schemas/run";
import { applyRunEvents, type RunViewState } from "./run-view-state";

export const runKeys = {
  all: ["runs"] as const,
  live: (runId: string) => ["runs", runId, "live"] as const,
};

const EVENT_TYPES = ["run_started", "step_started", "step_finished", "text_chunk", "log", "progress", "run_finished"];

export function useRunEvents(runId: string, streamUrl: string, initial: RunViewState): RunViewState {
  const queryClient = useQueryClient();
  const key = runKeys.live(runId);
  const { data } = useQuery({ queryKey: key, queryFn: () => initial, initialData: initial, staleTime: Infinity });
  const finished = isFinalStatus(data.status);

  useEffect(() => {
    if (finished) return;
    const current = queryClient.getQueryData<RunViewState>(key) ?? initial;
    const sep = streamUrl.includes("?") ? "&" : "?";
    const source = new EventSource(`${streamUrl}${sep}after=${current.lastSeq}`);
    const onFrame = (e: MessageEvent) => {
      const frame = JSON.parse(e.data) as RunEventFrame;
      queryClient.setQueryData<RunViewState>(key, (s) => applyRunEvents(s ?? initial, [frame]));
      if (frame.type === "run_finished") source.close();
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onFrame);
    return () => source.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, streamUrl, finished]);

  return data;
}
