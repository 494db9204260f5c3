/**
 * Follows a run's SSE stream over fetch, reconnecting by itself. Each connection asks for
 * the events after the last seq it handed on (`Last-Event-ID` and `?after=`), so a dropped
 * connection resumes exactly where it stopped, and a frame at or below that seq (a server
 * repeating itself) is dropped: the caller sees every frame once, in order.
 *
 * fetch rather than EventSource: EventSource gives up for good after some failures (and
 * says nothing about why), which a page that must "just keep working" cannot afford.
 * No React here, so it is tested on its own against a real HTTP server.
 */
import { createParser } from "eventsource-parser";
import type { RunEventFrame } from "@/lib/schemas/run";

/**
 * connecting: first attempt; live: a stream is open; reconnecting: the last one dropped and
 * another is on its way; ended: the run finished and everything was received;
 * unavailable: the server refused the stream (e.g. 404 for a revoked share link).
 */
export type StreamConnection = "connecting" | "live" | "reconnecting" | "ended" | "unavailable";

export interface FollowRunStreamOptions {
  /** The stream URL (may already carry a query string). */
  url: string;
  /** Resume after this seq (what the page already has). */
  afterSeq: number;
  onFrame: (frame: RunEventFrame) => void;
  onConnection?: (state: StreamConnection, detail?: { status?: number; attempt?: number }) => void;
  /** Whether the run is known to have ended (a stream that ends with nothing new then stops us). */
  runEnded?: () => boolean;
  signal: AbortSignal;
  /** Pause before reconnection `attempt` (1, 2, …) in ms. */
  backoffMs?: (attempt: number) => number;
  fetch?: typeof fetch;
}

/** 250 ms, 500 ms, 1 s, 2 s, then every 4 s, each with a little jitter. */
export function defaultBackoffMs(attempt: number): number {
  const base = Math.min(250 * 2 ** (attempt - 1), 4000);
  return base + Math.floor(Math.random() * base * 0.2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function withAfter(url: string, after: number): string {
  const u = new URL(url, "http://placeholder.invalid");
  u.searchParams.set("after", String(after));
  return url.startsWith("http") ? u.toString() : `${u.pathname}${u.search}`;
}

/** Runs until the run has ended, the server refuses the stream, or `signal` aborts. */
export async function followRunStream(opts: FollowRunStreamOptions): Promise<void> {
  const { signal } = opts;
  const doFetch = opts.fetch ?? fetch;
  const backoff = opts.backoffMs ?? defaultBackoffMs;
  let last = opts.afterSeq;
  let attempt = 0;
  let everConnected = false;
  opts.onConnection?.("connecting");

  while (!signal.aborted) {
    let received = 0;
    let finished = false;
    let failed = false;
    try {
      const res = await doFetch(withAfter(opts.url, last), {
        headers: { accept: "text/event-stream", "last-event-id": String(last) },
        cache: "no-store",
        signal,
      });
      // 4xx (other than "try again later") will not get better by retrying.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        await res.body?.cancel().catch(() => {});
        opts.onConnection?.("unavailable", { status: res.status });
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      everConnected = true;
      attempt = 0;
      opts.onConnection?.("live");
      const parser = createParser({
        onEvent(message) {
          if (finished || !message.data) return;
          const frame = JSON.parse(message.data) as RunEventFrame;
          if (!(frame.seq > last)) return;
          last = frame.seq;
          received++;
          opts.onFrame(frame);
          if (frame.type === "run_finished") finished = true;
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        while (!finished) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } finally {
        if (finished) await reader.cancel().catch(() => {});
      }
    } catch {
      if (signal.aborted) return;
      failed = true;
    }
    if (finished) {
      opts.onConnection?.("ended");
      return;
    }
    // The server answers a finished run we already have in full with an empty stream.
    if (!failed && received === 0 && opts.runEnded?.()) {
      opts.onConnection?.("ended");
      return;
    }
    attempt++;
    opts.onConnection?.(everConnected ? "reconnecting" : "connecting", { attempt });
    // A stream the server closed after delivering events (its time limit) is picked up again
    // at once; failures and empty streams back off.
    await sleep(!failed && received > 0 ? 0 : backoff(attempt), signal);
  }
}
