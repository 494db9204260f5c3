/**
 * How a started run is answered, by response_mode: async (202 at once), streaming (the run's
 * SSE, same frames as /runs/{id}/events) or blocking (wait for the end on the event bus,
 * then the run; past the wait limit a 202 with the run's URL instead of a timeout).
 */
import { createHash } from "node:crypto";
import { hearsOtherProcesses, runEndedHere, subscribeRunEvents } from "../events/run-event-bus";
import { isExecutingHere } from "../executor";
import type { ResponseMode, RunAcceptedDoc } from "../schemas/api-runs";
import { isFinalStatus } from "../schemas/run";
import type { Actor } from "../schemas/workspace";
import { ValidationError } from "../services/errors";
import { getRunDocument, runLinks } from "../services/run-documents";
import { getRunLogPosition } from "../services/run-events";
import type { StartedRun } from "../services/runs";
import { runEventStreamResponse } from "./sse";

/** The server's longest blocking wait (a request may ask for less with max_wait_ms). */
export function blockingLimitMs(): number {
  const n = Number(process.env.FLOWDECK_BLOCKING_LIMIT_MS ?? 60_000);
  return Number.isFinite(n) && n >= 0 ? n : 60_000;
}

/**
 * Resolves true once the run has ended, false when `ms` pass or `signal` aborts first. Runs
 * that end in this process say so on the event bus (no database read); a run executed by
 * another process (scale-out) is noticed by a status read once a second.
 */
export function waitForRunEnd(runId: number, ms: number, signal?: AbortSignal, opts: { startedByThisRequest?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let checking = false;
    const finish = (ended: boolean) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      clearInterval(poll);
      signal?.removeEventListener("abort", onAbort);
      resolve(ended);
    };
    const check = async () => {
      if (checking || settled) return;
      checking = true;
      try {
        const position = await getRunLogPosition(runId);
        if (!position || isFinalStatus(position.status)) finish(true);
      } catch {
        /* the next poll tries again */
      } finally {
        checking = false;
      }
    };
    const unsubscribe = subscribeRunEvents(runId, (_seq, ended) => {
      if (ended) finish(true);
    });
    const timer = setTimeout(() => finish(false), ms);
    const poll = setInterval(() => void check(), 1_000);
    const onAbort = () => finish(false);
    signal?.addEventListener("abort", onAbort);
    // It may have ended before we subscribed; a run this process is executing cannot end
    // unannounced, so only other runs need a read — except one this request just stored
    // while the bus was listening: its end cannot have been announced before that.
    if (runEndedHere(runId)) finish(true);
    else if (!isExecutingHere(runId) && !(opts.startedByThisRequest && hearsOtherProcesses())) void check();
  });
}

/** A stable hash of a request: keys sorted at every level, so formatting does not matter. */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex");
}

/** Header-safe JSON (non-ASCII escaped). */
const asciiJson = (v: unknown) => JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export interface RespondOptions {
  mode: ResponseMode;
  maxWaitMs?: number;
  returnAllOutputs: boolean;
  replayed: boolean;
  warnings: string[];
}

/** The answer to a run request (start or re-run) in the mode asked for. */
export async function respondWithRun(req: Request, actor: Actor, run: StartedRun, opts: RespondOptions): Promise<Response> {
  const links = runLinks(run.uuid, actor.workspaceSlug);
  // A relative Location: req.url carries the address the server is bound to, not the one the
  // client used (which a proxy may change too).
  const headers = new Headers({ location: links.url, "x-flowdeck-run-id": run.uuid });
  if (opts.replayed) headers.set("idempotent-replayed", "true");
  const accepted = (status: string, message?: string): Response => {
    const body: RunAcceptedDoc = {
      id: run.uuid, status: status as RunAcceptedDoc["status"], ...links, warnings: opts.warnings, ...(message ? { message } : {}),
    };
    return Response.json(body, { status: 202, headers });
  };

  if (opts.mode === "async") return accepted(run.status);

  if (opts.mode === "streaming") {
    if (opts.warnings.length) headers.set("x-flowdeck-warnings", asciiJson(opts.warnings));
    const stream = runEventStreamResponse(req, run.id, { afterSeq: 0 });
    stream.headers.forEach((value, name) => headers.set(name, value));
    return new Response(stream.body, { status: 200, headers });
  }

  const limit = Math.min(opts.maxWaitMs ?? blockingLimitMs(), blockingLimitMs());
  const ended = await waitForRunEnd(run.id, limit, req.signal, { startedByThisRequest: !opts.replayed });
  if (!ended) {
    const position = await getRunLogPosition(run.id);
    return accepted(position?.status ?? run.status, `Still running after ${limit} ms: follow url or events_url`);
  }
  const doc = await getRunDocument(actor, run.uuid, { stepOutputs: opts.returnAllOutputs });
  return Response.json({ ...doc, warnings: opts.warnings }, { status: 200, headers });
}

/** The Idempotency-Key header, checked (1–200 printable characters); null when absent. */
export function idempotencyKeyOf(req: Request): string | null {
  const key = req.headers.get("idempotency-key");
  if (key === null) return null;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new ValidationError([{ loc: ["header", "Idempotency-Key"], msg: "Use 1–200 visible ASCII characters", type: "value_error" }]);
  }
  return key;
}

/** What makes two run requests "the same": everything but how the caller wants the answer. */
export function runRequestHash(scope: string, body: Record<string, unknown>): string {
  const { response_mode: _mode, max_wait_ms: _wait, ...rest } = body;
  return requestHash({ scope, ...rest });
}
