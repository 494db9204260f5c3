/**
 * Runs one claimed run through the engine, turning engine events into the stored event
 * log (RunEventWriter) and the run's final state.
 *
 * Besides a cancel, an execution can stop in two ways that leave the run unfinished for
 * another executor to resume: a hand-back (graceful shutdown: the pause signal lets the
 * running steps finish, an abort with HAND_BACK stops the rest) and a lost lease (another
 * executor took the run over; nothing more is written). Neither writes a run_finished.
 */
import { executeWorkflow, getStepKind, type EngineEvent, type FileRef } from "../engine";
import { guardedFetch } from "../net/guarded-fetch";
import { readFileBytes } from "../services/files";
import { RunEventWriter } from "../services/run-event-writer";
import { LeaseLostError } from "../services/run-store";
import { readSecretValue } from "../services/secrets";
import { LEASE_MS, type ClaimedRun } from "../services/run-execution";

/** Why an execution was stopped from outside, as the abort reason of its signal. */
export class StopRequest {
  constructor(readonly kind: "cancel" | "hand_back" | "lease_lost") {}
}
export const CANCEL = new StopRequest("cancel");
export const HAND_BACK = new StopRequest("hand_back");
export const LEASE_LOST = new StopRequest("lease_lost");

/** How an execution ended: the run finished (any status), was paused/handed back, or its lease was lost. */
export type ExecutionEnd = "finished" | "handed_back" | "lease_lost";

export interface ExecuteOptions {
  /** Aborting it stops the run; the reason says how (a StopRequest; anything else is a cancel). */
  signal: AbortSignal;
  /** Aborting it lets the running steps finish, starts no more, and hands the run back. */
  pause?: AbortSignal;
  /** The lease owner: every write is fenced on it (see RunEventWriter). */
  owner?: string;
}

function stopKind(signal: AbortSignal): StopRequest["kind"] | null {
  if (!signal.aborted) return null;
  return signal.reason instanceof StopRequest ? signal.reason.kind : "cancel";
}

export async function executeClaimedRun(run: ClaimedRun, options: AbortSignal | ExecuteOptions): Promise<ExecutionEnd> {
  const { signal, pause, owner } = options instanceof AbortSignal ? { signal: options } as ExecuteOptions : options;
  const writer = new RunEventWriter(run.id, run.workspaceId, run.lastSeq, owner);
  const stepStarts = new Map<string, Date>();
  const startedAt = run.startedAt ?? new Date();
  let ended = false;

  const emit = (event: EngineEvent): Promise<void> | void => {
    const stop = stopKind(signal);
    // After a lost lease nothing is written; on a hand-back, what the stop itself caused
    // (cancelled steps, the run's end) is left out: the run is not over.
    if (stop === "lease_lost") return;
    if (stop === "hand_back") {
      if (event.type === "run_finished") return;
      if (event.type === "step_finished" && event.status !== "succeeded" && event.status !== "skipped") return;
    }
    const { type, ...data } = event;
    switch (event.type) {
      case "run_started":
        writer.append(type, run.takeovers ? { ...data, takeover: run.takeovers } : data, { run: run.startedAt ? {} : { startedAt } });
        return;
      case "step_started": {
        stepStarts.set(event.step_id, new Date());
        // A step that reaches the outside starts only once its start is stored under our
        // lease, which that write also renews: an executor that stalled past its lease and
        // was taken over (frozen, paused by the OS) finds out here, before it calls anything.
        const durable = getStepKind(event.kind)?.durable === true;
        writer.append(type, data, durable && owner ? { run: { leaseExpiresAt: new Date(Date.now() + LEASE_MS) } } : {});
        return durable ? writer.flushNow() : undefined;
      }
      case "step_finished":
        writer.append(type, data, {
          step: {
            stepId: event.step_id, kind: event.kind, status: event.status, attempts: event.attempts,
            output: event.output, error: event.error, tokens: event.tokens,
            startedAt: stepStarts.get(event.step_id), finishedAt: new Date(),
          },
        });
        // A step that reached the outside is stored before its dependants start, so a resumed
        // run never repeats it; a pure step's result rides along with the next batch.
        return getStepKind(event.kind)?.durable && event.status === "succeeded" ? writer.flushNow() : undefined;
      case "run_finished": {
        ended = true;
        const finishedAt = new Date();
        writer.append(type, data, {
          run: {
            status: event.status,
            finishedAt,
            elapsedMs: finishedAt.getTime() - startedAt.getTime(),
            totalTokens: event.total_tokens,
            errorCode: event.error?.code ?? null,
            errorMessage: event.error?.message ?? null,
            errorStep: event.error?.step_id ?? null,
            leaseOwner: null,
            leaseExpiresAt: null,
          },
          outputs: event.status === "succeeded" ? (event.outputs ?? {}) : undefined,
        });
        return writer.flushNow();
      }
      default:
        writer.append(type, data);
    }
  };

  let outcome: Awaited<ReturnType<typeof executeWorkflow>>;
  try {
    outcome = await executeWorkflow({
      definition: run.definition,
      inputs: run.inputs,
      completed: run.completed,
      signal,
      pause,
      emit,
      runId: run.uuid,
      ports: {
        readFile: (ref: FileRef) => readFileBytes(run.workspaceId, ref.id),
        // Public addresses only, unless FLOWDECK_FETCH_ALLOW names the host (lib/net).
        fetch: (url: string, init?: RequestInit) => guardedFetch(url, init),
        getSecret: (name: string) => readSecretValue(run.workspaceId, name),
      },
    });
  } catch (error) {
    if (error instanceof LeaseLostError || stopKind(signal) === "lease_lost") return "lease_lost";
    throw error;
  }
  const stop = stopKind(signal);
  if (stop === "lease_lost") return "lease_lost";
  try {
    await writer.flushNow();
  } catch (error) {
    if (error instanceof LeaseLostError) return "lease_lost";
    throw error;
  }
  return !ended && (outcome.paused || stop === "hand_back") ? "handed_back" : "finished";
}
