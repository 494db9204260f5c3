/**
 * Runs one claimed run through the engine, turning engine events into the stored event
 * log (RunEventWriter) and the run's final state.
 */
import { executeWorkflow, getStepKind, type EngineEvent, type FileRef } from "../engine";
import { guardedFetch } from "../net/guarded-fetch";
import { readFileBytes } from "../services/files";
import { RunEventWriter } from "../services/run-event-writer";
import { readSecretValue } from "../services/secrets";
import type { ClaimedRun } from "../services/run-execution";

export async function executeClaimedRun(run: ClaimedRun, signal: AbortSignal): Promise<void> {
  const writer = new RunEventWriter(run.id, run.workspaceId, run.lastSeq);
  const stepStarts = new Map<string, Date>();
  const startedAt = run.startedAt ?? new Date();

  const emit = (event: EngineEvent): Promise<void> | void => {
    const { type, ...data } = event;
    switch (event.type) {
      case "run_started":
        writer.append(type, data, { run: run.startedAt ? {} : { startedAt } });
        return;
      case "step_started":
        stepStarts.set(event.step_id, new Date());
        writer.append(type, data);
        return;
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

  await executeWorkflow({
    definition: run.definition,
    inputs: run.inputs,
    completed: run.completed,
    signal,
    emit,
    runId: run.uuid,
    ports: {
      readFile: (ref: FileRef) => readFileBytes(run.workspaceId, ref.id),
      // Public addresses only, unless FLOWDECK_FETCH_ALLOW names the host (lib/net).
      fetch: (url: string, init?: RequestInit) => guardedFetch(url, init),
      getSecret: (name: string) => readSecretValue(run.workspaceId, name),
    },
  });
  await writer.flushNow();
}
