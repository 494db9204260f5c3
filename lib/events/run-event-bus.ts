/**
 * In-process notification that a run has new stored events. It carries only the run id
 * and the last sequence number: listeners read the events themselves from the event log,
 * so a missed notification loses nothing. (Scale-out replaces this with LISTEN/NOTIFY.)
 */
import { EventEmitter } from "node:events";

type Listener = (lastSeq: number) => void;

const globalForBus = globalThis as unknown as { flowdeckRunBus?: EventEmitter };
// Kept on globalThis: Next.js may load this module in more than one bundle of one process.
const emitter = globalForBus.flowdeckRunBus ?? (globalForBus.flowdeckRunBus = new EventEmitter());
emitter.setMaxListeners(0);

export function notifyRunEvents(runId: number, lastSeq: number): void {
  emitter.emit(`run:${runId}`, lastSeq);
}

/** Calls `listener` whenever run `runId` has stored new events; returns the unsubscribe. */
export function subscribeRunEvents(runId: number, listener: Listener): () => void {
  const name = `run:${runId}`;
  emitter.on(name, listener);
  return () => emitter.off(name, listener);
}
