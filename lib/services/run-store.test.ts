/**
 * The hot-path run store writes rows that Prisma reads back exactly as if Prisma had
 * written them (dates, nulls, JSON text), and reports duplicate keys in one way.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { hasDirectSqlite } from "../db/sqlite-direct";
import { demoWorkflows } from "../demo/workflows";
import type { Actor } from "../schemas/workspace";
import { DuplicateRunKeyError, insertRun, writeRunLogBatch, type NewRun } from "./run-store";
import { createWorkflow } from "./workflows";
import { createWorkspace } from "./workspaces";

let actor: Actor;
let base: NewRun;

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "store@example.test" } });
  actor = await createWorkspace(user.id, { slug: "store", name: "Store" });
  const workflow = await createWorkflow(actor, { name: "greet", definition: demoWorkflows[0].versions[0] });
  const version = await db.workflowVersion.findFirstOrThrow({ where: { workflowId: workflow.id } });
  base = {
    workspaceId: actor.workspaceId, workflowId: workflow.id, versionId: version.id, versionNumber: 1, label: null,
    status: "queued", origin: "api", externalId: null, metadata: '{"team":"x"}', totalSteps: 3, createdById: user.id,
    apiKeyId: null, parentRunId: null, inputs: '{"name":"Ada"}',
  };
});

describe("run store", () => {
  it("uses the direct SQLite path on SQLite, Prisma on PostgreSQL", () => {
    // The suite runs on both databases, so both paths are covered.
    expect(hasDirectSqlite()).toBe(databaseProvider() === "sqlite");
  });

  it("inserts a run and its inputs that Prisma reads back faithfully", async () => {
    const before = Date.now();
    const lease = new Date(Date.now() + 30_000);
    const { id, uuid } = await insertRun({ ...base, status: "running", leaseOwner: "me", leaseExpiresAt: lease });
    const row = await db.run.findUniqueOrThrow({ where: { id }, include: { payload: true } });
    expect(row.uuid).toBe(uuid);
    expect(row.status).toBe("running");
    expect(row.metadata).toBe('{"team":"x"}');
    expect(row.leaseExpiresAt?.getTime()).toBe(lease.getTime());
    expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(row.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(row.lastSeq).toBe(0);
    expect(row.externalId).toBeNull();
    expect(row.payload?.inputs).toBe('{"name":"Ada"}');
  });

  it("reports a duplicate external id or idempotency key, and stores nothing for it", async () => {
    await insertRun({ ...base, externalId: "ext-1", idempotencyKey: "key-1" });
    const count = await db.run.count();
    await expect(insertRun({ ...base, externalId: "ext-1" })).rejects.toEqual(new DuplicateRunKeyError("externalId"));
    await expect(insertRun({ ...base, idempotencyKey: "key-1" })).rejects.toEqual(new DuplicateRunKeyError("idempotencyKey"));
    expect(await db.run.count()).toBe(count);
    expect(await db.runPayload.count()).toBe(count);
  });

  it("writes an event batch with its steps, run fields and outputs in one go", async () => {
    const { id } = await insertRun(base);
    const t = new Date("2026-11-23T10:00:00.123Z");
    await writeRunLogBatch({
      runId: id, workspaceId: actor.workspaceId,
      events: [
        { seq: 1, type: "run_started", data: "{}", createdAt: t },
        { seq: 2, type: "run_finished", data: '{"status":"succeeded"}', createdAt: t },
      ],
      steps: [{ stepId: "greet", kind: "template", status: "succeeded", attempts: 1, output: '"hi"', error: null, tokens: 0, startedAt: t, finishedAt: t }],
      run: { status: "succeeded", startedAt: t, finishedAt: t, elapsedMs: 5, errorCode: null },
      outputs: '{"greeting":"hi"}',
    });
    const row = await db.run.findUniqueOrThrow({ where: { id }, include: { payload: true, steps: true, events: { orderBy: { seq: "asc" } } } });
    expect(row).toMatchObject({ status: "succeeded", lastSeq: 2, elapsedMs: 5, errorCode: null });
    expect(row.finishedAt?.toISOString()).toBe(t.toISOString());
    expect(row.events.map((e) => [e.seq, e.type, e.createdAt.toISOString()])).toEqual([
      [1, "run_started", t.toISOString()], [2, "run_finished", t.toISOString()],
    ]);
    expect(row.steps[0]).toMatchObject({ stepId: "greet", output: '"hi"', error: null, startedAt: t });
    expect(row.payload?.outputs).toBe('{"greeting":"hi"}');
  });

  it("rolls a batch back entirely when one row fails", async () => {
    const { id } = await insertRun(base);
    const event = { seq: 1, type: "log", data: "{}", createdAt: new Date() };
    await writeRunLogBatch({ runId: id, workspaceId: actor.workspaceId, events: [event], steps: [], run: {} });
    // seq 1 again violates the primary key: the new seq 2 and the run update must not stay.
    await expect(
      writeRunLogBatch({ runId: id, workspaceId: actor.workspaceId, events: [{ ...event, seq: 2 }, event], steps: [], run: { status: "failed" } }),
    ).rejects.toThrow();
    const row = await db.run.findUniqueOrThrow({ where: { id }, include: { events: true } });
    expect(row.events.map((e) => e.seq)).toEqual([1]);
    expect(row.status).toBe("queued");
    expect(row.lastSeq).toBe(1);
  });

  it("group-commits writes that arrive together, a failing one rolling back alone", async () => {
    const [x, y] = await Promise.all([insertRun(base), insertRun(base)]);
    const event = (seq: number) => ({ seq, type: "log", data: "{}", createdAt: new Date() });
    const results = await Promise.allSettled([
      writeRunLogBatch({ runId: x.id, workspaceId: actor.workspaceId, events: [event(1)], steps: [], run: { status: "running" } }),
      // Duplicate seq inside one batch: this write fails and must take nothing else with it.
      writeRunLogBatch({ runId: y.id, workspaceId: actor.workspaceId, events: [event(1), event(1)], steps: [], run: { status: "failed" } }),
      writeRunLogBatch({ runId: y.id, workspaceId: actor.workspaceId, events: [event(7)], steps: [], run: { status: "running" } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    // x and y in that order (inserted concurrently, so on PostgreSQL y may have the lower id).
    const rows = await Promise.all(
      [x, y].map((r) => db.run.findUniqueOrThrow({ where: { id: r.id }, include: { events: { orderBy: { seq: "asc" } } } })),
    );
    expect(rows.map((r) => [r.status, r.events.map((e) => e.seq)])).toEqual([["running", [1]], ["running", [7]]]);
  });
});
