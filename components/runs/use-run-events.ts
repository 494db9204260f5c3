"use client";
/**
 * Live run state: starts from the server-rendered frames, then follows the run's SSE
 * stream (run-event-stream.ts: reconnects on its own from the last seq), applying the
 * frames to the query cache in one batch per animation frame (frame-batcher.ts).
 */
import { skipToken, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { isFinalStatus, type RunEventFrame } from "@/lib/schemas/run";
import { createFrameBatcher } from "./frame-batcher";
import { followRunStream, type StreamConnection } from "./run-event-stream";
import { applyRunEvents, type RunViewState } from "./run-view-state";

export const runKeys = {
  all: ["runs"] as const,
  live: (runId: string) => ["runs", runId, "live"] as const,
};

export function useRunEvents(
  runId: string,
  streamUrl: string,
  initial: RunViewState,
): { state: RunViewState; connection: StreamConnection } {
  const queryClient = useQueryClient();
  const key = runKeys.live(runId);
  const query = useQuery({ queryKey: key, queryFn: () => initial, initialData: initial, staleTime: Infinity });
  // Undefined for a moment when another observer (useRunViewState) created the entry first.
  const data = query.data ?? initial;
  const [connection, setConnection] = useState<StreamConnection>(initial.ended ? "ended" : "connecting");
  const initialRef = useRef(initial);
  initialRef.current = initial;

  // A page rendered again by the server (a refresh, or coming back to the run) may know
  // more than the cache kept from an earlier visit: take the newer of the two.
  useEffect(() => {
    const cached = queryClient.getQueryData<RunViewState>(key);
    if (cached && initial.lastSeq > cached.lastSeq) queryClient.setQueryData(key, { ...initial, cancelRequested: cached.cancelRequested });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, initial.lastSeq]);

  const ended = data.ended;
  useEffect(() => {
    if (ended) {
      setConnection("ended");
      return;
    }
    const current = () => queryClient.getQueryData<RunViewState>(key) ?? initialRef.current;
    const batcher = createFrameBatcher<RunEventFrame>((frames) =>
      queryClient.setQueryData<RunViewState>(key, (s) => applyRunEvents(s ?? initialRef.current, frames)),
    );
    const abort = new AbortController();
    void followRunStream({
      url: streamUrl,
      afterSeq: current().lastSeq,
      signal: abort.signal,
      onFrame: (frame) => {
        batcher.push(frame);
        // The end of the run is shown at once, not one animation frame later.
        if (frame.type === "run_finished") batcher.flush();
      },
      onConnection: (state) => {
        if (state === "ended" || state === "unavailable") batcher.flush();
        setConnection(state);
      },
      runEnded: () => {
        const s = current();
        return s.ended || isFinalStatus(s.status);
      },
    });
    return () => {
      abort.abort();
      batcher.flush();
      batcher.dispose();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, streamUrl, ended]);

  return { state: data, connection };
}

/**
 * The live state of a run whose page (RunView) is mounted elsewhere on the page, e.g. for
 * the header's cancel button. Undefined until the view has put it in the cache.
 */
export function useRunViewState(runId: string): RunViewState | undefined {
  const { data } = useQuery<RunViewState>({ queryKey: runKeys.live(runId), queryFn: skipToken, staleTime: Infinity });
  return data;
}

/** Marks the run as "cancelling" on the page at once (until its run_finished arrives). */
export function useMarkCancelRequested(runId: string): (requested: boolean) => void {
  const queryClient = useQueryClient();
  return (requested) =>
    queryClient.setQueryData<RunViewState>(runKeys.live(runId), (s) => (s && !s.ended ? { ...s, cancelRequested: requested } : s));
}
