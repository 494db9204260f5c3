/**
 * In-process notification that a run has new stored events. It carries only the run id
 * and the last sequence number: listeners read the events themselves from the event log,
 * so a missed notification loses nothing. (Scale-out replaces this with LISTEN/NOTIFY.)
 */
import { EventEmitter } from "node:events";

/** `ended` is true when the events just stored include the run's run_finished. */
type Listener = (lastSeq: number, ended: boolean) => void;

const globalForBus = globalThis as unknown as { flowdeckRunBus?: EventEmitter };
// Kept on globalThis: Next.js may load this module in more than one bundle of one process.
const emitter = globalForBus.flowdeckRunBus ?? (globalForBus.flowdeckRunBus = new EventEmitter());
emitter.setMaxListeners(0);

const globalEnded = globalThis as unknown as { flowdeckEndedRuns?: Map<number, number> };
/** Runs that ended in this process recently (id → last seq), oldest first; bounded. */
const endedRuns = globalEnded.flowdeckEndedRuns ?? (globalEnded.flowdeckEndedRuns = new Map());
const ENDED_LIMIT = 10_000;

export function notifyRunEvents(runId: number, lastSeq: number, ended = false): void {
  if (ended) {
    endedRuns.set(runId, lastSeq);
    if (endedRuns.size > ENDED_LIMIT) endedRuns.delete(endedRuns.keys().next().value!);
  }
  emitter.emit(`run:${runId}`, lastSeq, ended);
}

/** Whether this process saw the run end recently (false says nothing: ask the database). */
export function runEndedHere(runId: number): boolean {
  return endedRuns.has(runId);
}

/** Calls `listener` whenever run `runId` has stored new events; returns the unsubscribe. */
export function subscribeRunEvents(runId: number, listener: Listener): () => void {
  const name = `run:${runId}`;
  emitter.on(name, listener);
  return () => emitter.off(name, listener);
}
