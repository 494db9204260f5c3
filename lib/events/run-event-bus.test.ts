/**
 * The event bus without PostgreSQL (the SQLite default): everything stays in this process,
 * no connection is opened. Plus the NOTIFY payload encoding (pure).
 */
import { describe, expect, it } from "vitest";
import { databaseProvider } from "../db/config";
import { encodeBusPayloads } from "./pg-listener";
import {
  eventBusStatus, notifyRunCancel, notifyRunEvents, runEndedHere, startEventBus, stopEventBus,
  subscribeRunCancel, subscribeRunEvents,
} from "./run-event-bus";

// A PostgreSQL suite run covers the other side (run-event-bus.pg.test.ts runs either way).
describe.skipIf(databaseProvider() !== "sqlite")("event bus on SQLite", () => {
  it("delivers run events and cancels in-process and opens no connection", async () => {
    await startEventBus();
    await startEventBus(); // idempotent
    expect(eventBusStatus()).toMatchObject({ mode: "in-process" });
    expect(eventBusStatus().connected).toBeUndefined();

    const seen: [number, boolean][] = [];
    const cancels: number[] = [];
    const off = subscribeRunEvents(41, (seq, ended) => seen.push([seq, ended]));
    const offCancel = subscribeRunCancel((id) => cancels.push(id));
    notifyRunEvents(41, 3);
    notifyRunEvents(42, 9); // another run's listeners only
    notifyRunEvents(41, 5, true);
    notifyRunCancel(41);
    off();
    offCancel();
    notifyRunEvents(41, 6);
    notifyRunCancel(41);
    expect(seen).toEqual([[3, false], [5, true]]);
    expect(cancels).toEqual([41]);
    expect(runEndedHere(41)).toBe(true);
    expect(runEndedHere(42)).toBe(false);
    expect(await stopEventBus()).toBeNull();
  });
});

describe("NOTIFY payloads", () => {
  it("carry every run and cancel, split below PostgreSQL's 8000-byte limit", () => {
    const runs = new Map(Array.from({ length: 3000 }, (_, i) => [1_000_000 + i, { seq: 123_456 + i, ended: i % 7 === 0 }]));
    const cancels = Array.from({ length: 1500 }, (_, i) => 5_000_000 + i);
    const payloads = encodeBusPayloads("1234-abcdef01", runs, cancels);
    expect(payloads.length).toBeGreaterThan(1);
    const gotRuns = new Map<number, { seq: number; ended: boolean }>();
    const gotCancels: number[] = [];
    for (const p of payloads) {
      expect(Buffer.byteLength(p)).toBeLessThan(8000);
      const msg = JSON.parse(p) as { o: string; r?: [number, number, number][]; c?: number[] };
      expect(msg.o).toBe("1234-abcdef01");
      for (const [id, seq, ended] of msg.r ?? []) gotRuns.set(id, { seq, ended: ended === 1 });
      gotCancels.push(...(msg.c ?? []));
    }
    expect(gotRuns).toEqual(runs);
    expect(gotCancels).toEqual(cancels);
    expect(encodeBusPayloads("x", new Map(), [])).toEqual([]);
  });
});
