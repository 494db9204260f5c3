/**
 * Integration: the event log reader's fast paths (direct SQLite statement, raw PostgreSQL
 * query) give exactly the frames the Prisma reader gives — seqs, types, data and `at` to the
 * millisecond — for events written by the executor, by Prisma, and by SQL with the
 * database's own timestamp; and paging by seq neither skips nor repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { listRunEventsAfter, toFrame } from "./run-events";
import { getRunDetail, startRun } from "./runs";
import { createWorkflow } from "./workflows";
import { createWorkspace } from "./workspaces";

let actor: Actor;

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "events-reader@example.test" } });
  actor = await createWorkspace(user.id, { slug: "events-reader", name: "Events" });
  await createWorkflow(actor, {
    name: "echo",
    definition: {
      inputs: [{ name: "text", type: "text" }],
      steps: [{ id: "say", kind: "transform", config: { expression: "{ 'said': inputs.text }" } }],
      outputs: { said: "{{ steps.say.output.said }}" },
    },
  });
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

async function finishedRun(): Promise<number> {
  const { uuid, id } = await startRun(actor, { workflow: "echo", inputs: { text: "héllo \"quoted\" \\ ☕" }, origin: "api" });
  for (let i = 0; i < 400; i++) {
    if (["succeeded", "failed"].includes((await getRunDetail(actor, uuid)).status)) return id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

const viaPrisma = async (runId: number) =>
  (await db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" }, select: { seq: true, type: true, data: true, createdAt: true } })).map(toFrame);

describe(`listRunEventsAfter (${databaseProvider()})`, () => {
  it("gives the Prisma reader's frames for every way an event is written", async () => {
    const runId = await finishedRun();
    const { lastSeq } = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { lastSeq: true } });
    // Written by Prisma (its own timestamp), then by SQL with the database's timestamp.
    await db.runEvent.create({ data: { runId, seq: lastSeq + 1, workspaceId: actor.workspaceId, type: "log", data: JSON.stringify({ message: "ünïcode ✓", n: 1.5 }) } });
    await db.$executeRawUnsafe(
      databaseProvider() === "postgresql"
        ? `INSERT INTO "RunEvent" ("runId", "seq", "workspaceId", "type", "data") VALUES ($1, $2, $3, 'log', '{"raw":true}')`
        : `INSERT INTO "RunEvent" ("runId", "seq", "workspaceId", "type", "data", "createdAt") VALUES (?, ?, ?, 'log', '{"raw":true}', CURRENT_TIMESTAMP)`,
      runId, lastSeq + 2, actor.workspaceId,
    );
    const expected = await viaPrisma(runId);
    expect(expected.length).toBe(lastSeq + 2);
    expect(await listRunEventsAfter(runId, 0)).toEqual(expected);
    // Pages of two walk the same log.
    const paged = [];
    for (let after = 0; ; ) {
      const page = await listRunEventsAfter(runId, after, 2);
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1].seq;
    }
    expect(paged).toEqual(expected);
    expect(await listRunEventsAfter(runId, lastSeq + 2)).toEqual([]);
    expect(await listRunEventsAfter(runId + 100_000, 0)).toEqual([]);
  });
});
