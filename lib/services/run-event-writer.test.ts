/**
 * The event writer after a failed write (found by the PostgreSQL restart fault test,
 * lib/executor/faults/pg-restart.pg.test.ts): a batch that could not be stored must not be
 * skipped over by the next one, or the run's log gets a hole. Here the failure is a real
 * one — the lease taken away between two writes and given back — on the file's database.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import type { Actor } from "../schemas/workspace";
import { RunEventWriter } from "./run-event-writer";
import { LeaseLostError } from "./run-store";
import { demoRunFixture, type DemoRunFixture } from "./test-run-fixture";

let actor: Actor;
let fixture: DemoRunFixture;

beforeAll(async () => {
  fixture = await demoRunFixture();
  actor = fixture.actor;
});

describe("RunEventWriter after a failed write", () => {
  it("fails every later write too, so the stored log never skips a seq", async () => {
    const run = await fixture.insertRunningRun();
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "me" } });
    const writer = new RunEventWriter(run.id, actor.workspaceId, 0, "me");
    writer.append("run_started", {});
    await writer.flushNow();

    // seq 2 cannot be stored (the fence refuses it)…
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "someone-else" } });
    writer.append("log", { message: "lost" });
    await expect(writer.flushNow()).rejects.toBeInstanceOf(LeaseLostError);

    // …and once the database would take writes again, seq 3 must not be stored without it.
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "me" } });
    writer.append("log", { message: "after the failure" });
    await expect(writer.flushNow()).rejects.toBeInstanceOf(LeaseLostError);

    const stored = await db.runEvent.findMany({ where: { runId: run.id }, select: { seq: true }, orderBy: { seq: "asc" } });
    expect(stored.map((e) => e.seq)).toEqual([1]);
    expect((await db.run.findUniqueOrThrow({ where: { id: run.id } })).lastSeq).toBe(1);
  });

  it("a flush the timer started and nobody awaited poisons the writer just the same", async () => {
    const run = await fixture.insertRunningRun();
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "me" } });
    const writer = new RunEventWriter(run.id, actor.workspaceId, 0, "me");
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "someone-else" } });
    writer.append("text_chunk", { text: "a" }); // flushed by the writer's own timer
    await new Promise((r) => setTimeout(r, 100));
    await db.run.update({ where: { id: run.id }, data: { leaseOwner: "me" } });
    writer.append("run_finished", { status: "succeeded" }, { run: { status: "succeeded", finishedAt: new Date() } });
    await expect(writer.flushNow()).rejects.toBeInstanceOf(LeaseLostError);
    expect(await db.runEvent.count({ where: { runId: run.id } })).toBe(0);
  });
});
