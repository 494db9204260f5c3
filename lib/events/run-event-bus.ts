/**
 * Notifications that a run has new stored events, and that a run was asked to cancel. A
 * run-events notification carries only the run id and its last sequence number: listeners
 * read the events themselves from the event log, so a missed notification loses nothing.
 *
 * Subscribers are in-process listeners. On SQLite that is all there is. On PostgreSQL,
 * after startEventBus(), every notification is also published with NOTIFY and the ones
 * from other processes are delivered here too (lib/events/pg-listener.ts); after the
 * LISTEN connection (re)connects, every run-events listener is called with RESYNC_SEQ,
 * meaning "re-read the log, something may have been missed".
 *
 * Used by the web server and by worker processes: no Next.js or Prisma imports here.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { databaseProvider, databaseUrl } from "../db/config";
import type { PgBusConnection, PgBusStats } from "./pg-listener";

/** `ended` is true when the events just stored include the run's run_finished. */
type Listener = (lastSeq: number, ended: boolean) => void;

/** The lastSeq of a resync call: larger than any seq, so "newer than mine" checks re-read. */
export const RESYNC_SEQ = Number.POSITIVE_INFINITY;

interface BusState {
  emitter: EventEmitter;
  /** Runs heard to end recently (id → last seq), oldest first; bounded. */
  endedRuns: Map<number, number>;
  /** This process among the publishers (its own notifications come back and are skipped). */
  origin: string;
  transport: PgBusConnection | null;
  starting: Promise<void> | null;
}

// Kept on globalThis: Next.js may load this module in more than one bundle of one process.
const globalForBus = globalThis as unknown as { flowdeckRunBusState?: BusState };
const bus: BusState = (globalForBus.flowdeckRunBusState ??= {
  emitter: new EventEmitter().setMaxListeners(0),
  endedRuns: new Map(),
  origin: `${process.pid}-${randomUUID().slice(0, 8)}`,
  transport: null,
  starting: null,
});
const ENDED_LIMIT = 10_000;

/** Announces stored events of a run (here, and on PostgreSQL to every process). */
export function notifyRunEvents(runId: number, lastSeq: number, ended = false): void {
  deliverRunEvents(runId, lastSeq, ended);
  bus.transport?.publishRunEvents(runId, lastSeq, ended);
}

function deliverRunEvents(runId: number, lastSeq: number, ended: boolean): void {
  if (ended) {
    bus.endedRuns.set(runId, lastSeq);
    if (bus.endedRuns.size > ENDED_LIMIT) bus.endedRuns.delete(bus.endedRuns.keys().next().value!);
  }
  bus.emitter.emit(`run:${runId}`, lastSeq, ended);
}

/** Whether this process heard of the run's end recently (false says nothing: ask the database). */
export function runEndedHere(runId: number): boolean {
  return bus.endedRuns.has(runId);
}

/**
 * Calls `listener` whenever run `runId` has stored new events; returns the unsubscribe.
 * `lastSeq` is RESYNC_SEQ after a reconnect of the cross-process bus.
 */
export function subscribeRunEvents(runId: number, listener: Listener): () => void {
  const name = `run:${runId}`;
  bus.emitter.on(name, listener);
  return () => bus.emitter.off(name, listener);
}

/** Says that run `runId` was asked to cancel (its cancelRequestedAt is stored already). */
export function notifyRunCancel(runId: number): void {
  bus.emitter.emit("cancel", runId);
  bus.transport?.publishRunCancel(runId);
}

/** Calls `listener` for every cancel request, from any process; returns the unsubscribe. */
export function subscribeRunCancel(listener: (runId: number) => void): () => void {
  bus.emitter.on("cancel", listener);
  return () => bus.emitter.off("cancel", listener);
}

/**
 * Calls `listener` after the cross-process bus (re)connected: notifications (cancels too)
 * may have been missed, so check stored state again. Never called on SQLite.
 */
export function subscribeBusResync(listener: () => void): () => void {
  bus.emitter.on("resync", listener);
  return () => bus.emitter.off("resync", listener);
}

/** A listener's exception must not stop the delivery of a notification from another process. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error("[event-bus] listener failed:", err);
  }
}

function resyncAll(): void {
  for (const name of bus.emitter.eventNames()) {
    if (typeof name !== "string" || !name.startsWith("run:")) continue;
    for (const listener of bus.emitter.listeners(name) as Listener[]) safely(() => listener(RESYNC_SEQ, false));
  }
  for (const listener of bus.emitter.listeners("resync") as (() => void)[]) safely(listener);
}

/**
 * Opens the cross-process bus on PostgreSQL (no-op on SQLite); idempotent. Resolves after
 * the first connection attempt; a failed one keeps retrying in the background, and
 * notifications made meanwhile are sent once connected.
 */
export function startEventBus(): Promise<void> {
  if (databaseProvider() !== "postgresql") return Promise.resolve();
  bus.starting ??= (async () => {
    const { PgBusConnection } = await import("./pg-listener");
    const transport = new PgBusConnection(databaseUrl(), bus.origin, {
      onRunEvents: (runId, lastSeq, ended) => safely(() => deliverRunEvents(runId, lastSeq, ended)),
      onRunCancel: (runId) => safely(() => bus.emitter.emit("cancel", runId)),
      onResync: resyncAll,
    }, {
      healthCheckMs: Number(process.env.FLOWDECK_BUS_HEALTH_MS) || undefined,
    });
    bus.transport = transport;
    await transport.start();
  })();
  return bus.starting;
}

/**
 * Sends what is pending and closes the LISTEN connection; idempotent. Resolves to the
 * connection's final figures (null when there was none).
 */
export async function stopEventBus(): Promise<PgBusStats | null> {
  const starting = bus.starting;
  bus.starting = null;
  await starting?.catch(() => {});
  const transport = bus.transport;
  bus.transport = null;
  await transport?.stop();
  return transport ? { ...transport.stats } : null;
}

/**
 * Whether this process is listening on the cross-process bus right now: an end announced
 * by any process from now on will reach it (a dropped connection resyncs its listeners).
 */
export function hearsOtherProcesses(): boolean {
  return bus.transport?.stats.connected === true;
}

/** What the bus is doing, for tests, benchmarks and diagnostics. */
export function eventBusStatus(): { mode: "in-process" | "postgresql"; origin: string } & Partial<PgBusStats> {
  const transport = bus.transport;
  return transport ? { mode: "postgresql", origin: bus.origin, ...transport.stats } : { mode: "in-process", origin: bus.origin };
}
