/**
 * Integration: where SQLite and PostgreSQL differ underneath, the services behave the same
 * on both (the suite runs on each; see lib/db/pg-values.ts for the PostgreSQL side):
 * integers beyond PostgreSQL's 32-bit columns in lookups and cursors, U+0000 in text, and
 * writers racing each other (PostgreSQL runs transactions side by side, SQLite one at a time).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { getRunDocumentByNumber } from "./run-documents";
import { listRunEventsAfter } from "./run-events";
import { getRunDetail, listRuns, startRun } from "./runs";
import { listSecrets, setSecret } from "./secrets";
import { createWorkflow, findWorkflow, getVersion, listLabels, publishVersion, resolveVersion, setLabel } from "./workflows";
import { createWorkspace } from "./workspaces";

const BEYOND_INT4 = 3_000_000_000;
const pg = databaseProvider() === "postgresql";

let a: Actor;
let runIds: number[] = [];

const echo = {
  inputs: [{ name: "text", type: "text" }],
  steps: [{ id: "say", kind: "transform", config: { expression: "{ 'said': inputs.text }" } }],
  outputs: { said: "{{ steps.say.output.said }}" },
};
/** Fails with an error message that quotes its input (a NUL in it included). */
const fail = {
  inputs: [{ name: "text", type: "text" }],
  steps: [{ id: "boom", kind: "code", config: { code: "throw new Error('bad:' + inputs.text);" } }],
  outputs: {},
};

async function waitForRun(actor: Actor, uuid: string) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "parity@example.test" } });
  a = await createWorkspace(user.id, { slug: "parity", name: "Parity" });
  await createWorkflow(a, { name: "echo", definition: echo });
  await createWorkflow(a, { name: "fail", definition: fail });
  for (const text of ["one", "two"]) {
    const run = await startRun(a, { workflow: "echo", inputs: { text }, origin: "api" });
    expect((await waitForRun(a, run.uuid)).status).toBe("succeeded");
    runIds.push(run.id);
  }
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe(`integers beyond 32 bits (${databaseProvider()})`, () => {
  it("are ids of nothing: lookups answer NotFound, not a database error", async () => {
    await expect(findWorkflow(a, String(BEYOND_INT4))).rejects.toBeInstanceOf(NotFoundError);
    await expect(getRunDocumentByNumber(a, BEYOND_INT4)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getVersion(a, "echo", BEYOND_INT4)).rejects.toBeInstanceOf(NotFoundError);
    await expect(resolveVersion(a, "echo", { version: BEYOND_INT4 })).rejects.toBeInstanceOf(NotFoundError);
    expect(await db.run.findUnique({ where: { id: BEYOND_INT4 } })).toBeNull();
  });

  it("work as cursors and filters: older than it is everything, newer than it nothing", async () => {
    const newestFirst = [...runIds].reverse();
    expect((await listRuns(a, { before: BEYOND_INT4 })).runs.map((r) => r.id)).toEqual(newestFirst);
    // Nothing newer than the cursor: the newest page, as listRuns answers for any spent cursor.
    expect((await listRuns(a, { after: BEYOND_INT4 })).runs.map((r) => r.id)).toEqual(newestFirst);
    expect((await listRuns(a, { workflowId: BEYOND_INT4 })).runs).toEqual([]);
    expect((await listRuns(a, { versionNumber: BEYOND_INT4 })).runs).toEqual([]);
    expect(await listRunEventsAfter(runIds[0], BEYOND_INT4)).toEqual([]);
    expect((await listRunEventsAfter(runIds[0], 0)).length).toBeGreaterThan(2);
  });

  it("in a text search are an id no run has, and the text still matches", async () => {
    expect((await listRuns(a, { q: String(BEYOND_INT4) })).runs).toEqual([]);
    const run = await startRun(a, { workflow: "echo", inputs: { text: `order ${BEYOND_INT4}` }, origin: "api" });
    await waitForRun(a, run.uuid);
    runIds.push(run.id);
    expect((await listRuns(a, { q: String(BEYOND_INT4) })).runs.map((r) => r.id)).toEqual([run.id]);
  });

  it("in the Prisma filters the services do not use yet keep their meaning", async () => {
    const all = await db.run.count({ where: { workspaceId: a.workspaceId } });
    const where = (id: object) => ({ workspaceId: a.workspaceId, id });
    expect(await db.run.count({ where: where({ lt: BEYOND_INT4 }) })).toBe(all);
    expect(await db.run.count({ where: where({ lte: BEYOND_INT4 }) })).toBe(all);
    expect(await db.run.count({ where: where({ gt: -BEYOND_INT4 }) })).toBe(all);
    expect(await db.run.count({ where: where({ gt: BEYOND_INT4 }) })).toBe(0);
    expect(await db.run.count({ where: where({ lt: -BEYOND_INT4 }) })).toBe(0);
    expect(await db.run.count({ where: where({ not: BEYOND_INT4 }) })).toBe(all);
    expect(await db.run.count({ where: where({ in: [runIds[0], BEYOND_INT4] }) })).toBe(1);
    expect(await db.run.count({ where: where({ notIn: [runIds[0], BEYOND_INT4] }) })).toBe(all - 1);
    expect(await db.run.count({ where: { workspaceId: a.workspaceId, OR: [{ id: BEYOND_INT4 }, { id: runIds[1] }] } })).toBe(1);
    expect(await db.run.count({ where: { workspaceId: a.workspaceId, NOT: { id: BEYOND_INT4 } } })).toBe(all);
    expect(await db.run.count({ where: { workspaceId: a.workspaceId, events: { some: { seq: { gt: BEYOND_INT4 } } } } })).toBe(0);
  });
});

describe(`U+0000 in text (${databaseProvider()})`, () => {
  // PostgreSQL text cannot hold it: it comes back as U+FFFD there, exactly on SQLite.
  const stored = (s: string) => (pg ? s.replaceAll("\u0000", "\uFFFD") : s);

  it("is stored in names and descriptions, and found by the same text", async () => {
    const title = "Nul\u0000title";
    await createWorkflow(a, { name: "nul-title", title, description: "x\u0000y", definition: echo });
    const workflow = await findWorkflow(a, "nul-title");
    expect([workflow.title, workflow.description]).toEqual([stored(title), stored("x\u0000y")]);
    expect((await db.workflow.findFirst({ where: { workspaceId: a.workspaceId, title } }))?.id).toBe(workflow.id);
  });

  it("in a looked-up name finds nothing", async () => {
    await expect(findWorkflow(a, "echo\u0000")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("in a step's error ends the run failed with that message, and inputs keep it exactly", async () => {
    const run = await startRun(a, { workflow: "fail", inputs: { text: "zero\u0000byte" }, origin: "api" });
    const done = await waitForRun(a, run.uuid);
    expect(done.status).toBe("failed");
    expect(done.errorMessage).toContain(stored("bad:zero\u0000byte"));
    expect(done.inputs).toEqual({ text: "zero\u0000byte" }); // JSON text escapes it on both
  });
});

describe(`writers racing each other (${databaseProvider()})`, () => {
  it("concurrent publishes of one workflow each get the next version number", async () => {
    await createWorkflow(a, { name: "busy", definition: echo });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => publishVersion(a, "busy", echo, `v${i + 2}`)),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const numbers = results.map((r) => (r as PromiseFulfilledResult<{ number: number }>).value.number).sort((x, y) => x - y);
    expect(numbers).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it("concurrent saves of a new secret all land on one row", async () => {
    const results = await Promise.allSettled(["v1", "v2", "v3", "v4"].map((v) => setSecret(a, "RACE_KEY", v)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect((await listSecrets(a)).filter((s) => s.name === "RACE_KEY")).toHaveLength(1);
  });

  it("concurrent moves of a new label all land, one label, every move recorded", async () => {
    const results = await Promise.allSettled([2, 3, 4, 5].map((n) => setLabel(a, "busy", "fresh", n)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const labels = (await listLabels(a, "busy")).filter((l) => l.name === "fresh");
    expect(labels).toHaveLength(1);
    const moves = await db.labelMove.findMany({ where: { workspaceId: a.workspaceId, label: "fresh" }, orderBy: { id: "asc" } });
    expect(moves).toHaveLength(4);
    // The moves form one chain: each starts where the one before it ended.
    expect(moves[0].fromVersionNumber).toBeNull();
    for (let i = 1; i < moves.length; i++) expect(moves[i].fromVersionNumber).toBe(moves[i - 1].toVersionNumber);
  });
});
