/**
 * Integration: the runs history's text search and keyset paging on a real database —
 * inputs and outputs are searched, case-insensitively, literally (LIKE wildcards and JSON
 * escapes), only within the workspace, and the Newer/Older cursors keep every filter.
 * Runs against SQLite by default; FLOWDECK_TEST_DATABASE_URL=postgres://… runs it on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { databaseProvider } from "../db/config";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { getRunDetail, listRuns, startRun } from "./runs";
import { candidateBatch, flushTextIndex, ftsTrigramQuery } from "./run-text-index";
import { createWorkflow } from "./workflows";
import { createWorkspace } from "./workspaces";

let a: Actor;
let b: Actor;
let echoId: number;

/** Returns its input as the output `said`, upper-cased as `loud` (outputs differ from inputs). */
const echo = {
  inputs: [{ name: "text", type: "text" }],
  steps: [{ id: "say", kind: "transform", config: { expression: "{ 'said': inputs.text, 'loud': $uppercase('shout:' & inputs.text) }" } }],
  outputs: { said: "{{ steps.say.output.said }}", loud: "{{ steps.say.output.loud }}" },
};

async function waitForRun(actor: Actor, uuid: string) {
  for (let i = 0; i < 400; i++) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

/** Starts echo runs one after another (ids ascending in this order) and waits for them all. */
async function runEcho(actor: Actor, texts: string[], workflow = "echo", extra: { externalId?: string } = {}) {
  const uuids: string[] = [];
  for (const text of texts) uuids.push((await startRun(actor, { workflow, inputs: { text }, origin: "api", ...extra })).uuid);
  for (const uuid of uuids) expect((await waitForRun(actor, uuid)).status).toBe("succeeded");
  return uuids;
}

const uuidsOf = (page: { runs: { uuid: string }[] }) => page.runs.map((r) => r.uuid);

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "search-a@example.test" } }),
    db.user.create({ data: { email: "search-b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "search-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "search-b", name: "B" });
  for (const actor of [a, b]) await createWorkflow(actor, { name: "echo", definition: echo });
  echoId = (await createWorkflow(a, { name: "echo-two", definition: echo })).id;
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("text search", () => {
  it("finds runs by an input value and by an output value, ignoring case", async () => {
    const [zebra, other] = await runEcho(a, ["Zebra Crossing", "nothing to see"]);
    expect(uuidsOf(await listRuns(a, { q: "zebra crossing" }))).toEqual([zebra]);
    expect(uuidsOf(await listRuns(a, { q: "ZEBRA cross" }))).toEqual([zebra]);
    // Only the output holds "shout:" (the transform adds it).
    expect(uuidsOf(await listRuns(a, { q: "shout:zebra" }))).toEqual([zebra]);
    expect(uuidsOf(await listRuns(a, { q: "SHOUT:NOTHING" }))).toEqual([other]);
    expect((await listRuns(a, { q: "giraffe" })).runs).toEqual([]);
    // Surrounding spaces are not part of the text.
    expect(uuidsOf(await listRuns(a, { q: "  zebra  " }))).toEqual([zebra]);
  });

  it("stays inside the workspace: the same text in another workspace is never listed", async () => {
    const [mine] = await runEcho(a, ["tenancy-marker"]);
    const [theirs] = await runEcho(b, ["tenancy-marker"]);
    expect(uuidsOf(await listRuns(a, { q: "tenancy-marker" }))).toEqual([mine]);
    expect(uuidsOf(await listRuns(b, { q: "TENANCY-MARKER" }))).toEqual([theirs]);
    // Ids too: B cannot find A's run by its id.
    expect((await listRuns(b, { q: mine })).runs).toEqual([]);
    const { id } = await db.run.findUniqueOrThrow({ where: { uuid: mine }, select: { id: true } });
    expect(uuidsOf(await listRuns(a, { q: String(id) }))).toContain(mine);
    expect(uuidsOf(await listRuns(b, { q: String(id) }))).not.toContain(mine);
  });

  it("matches % and _ literally, not as LIKE wildcards", async () => {
    const [sale, lookalike] = await runEcho(a, ["50%_off today", "500 xoff today"]);
    expect(uuidsOf(await listRuns(a, { q: "50%_off" }))).toEqual([sale]);
    expect(uuidsOf(await listRuns(a, { q: "%_OFF" }))).toEqual([sale]);
    expect(uuidsOf(await listRuns(a, { q: "500 xoff" }))).toEqual([lookalike]);
    expect(uuidsOf(await listRuns(a, { q: "0_x" }))).toEqual([]);
  });

  it("finds text that JSON stores escaped (quotes, backslashes)", async () => {
    const [quoted, windows] = await runEcho(a, ['she said "hello there"', "C:\\Temp\\report.txt"]);
    expect(uuidsOf(await listRuns(a, { q: 'said "HELLO' }))).toEqual([quoted]);
    expect(uuidsOf(await listRuns(a, { q: "c:\\temp\\report" }))).toEqual([windows]);
    // The text as typed is looked for too, so a piece of the stored JSON finds its run.
    expect(uuidsOf(await listRuns(a, { q: '"text":"she said' }))).toEqual([quoted]);
    expect(uuidsOf(await listRuns(a, { q: '"text":"he said' }))).toEqual([]);
  });

  it("still finds the external id and metadata, case-insensitively", async () => {
    const { uuid } = await startRun(a, { workflow: "echo", inputs: { text: "x" }, origin: "api", externalId: "Order-Ext-77", metadata: { team: "Platform Crew" } });
    await waitForRun(a, uuid);
    expect(uuidsOf(await listRuns(a, { q: "order-ext-77" }))).toEqual([uuid]);
    expect(uuidsOf(await listRuns(a, { q: "platform crew" }))).toEqual([uuid]);
  });

  it.runIf(databaseProvider() === "postgresql")("folds the case of non-ASCII letters on PostgreSQL", async () => {
    const [uber] = await runEcho(a, ["Über Straße"]);
    expect(uuidsOf(await listRuns(a, { q: "über straße" }))).toEqual([uber]);
  });

  it("non-ASCII text in its own case is found on every database", async () => {
    const [cafe] = await runEcho(a, ["Crème brûlée ☕"]);
    expect(uuidsOf(await listRuns(a, { q: "brûlée ☕" }))).toEqual([cafe]);
  });
});

describe("keyset pages with filters", () => {
  it("Older and Newer cursors walk the same filtered set, with nothing skipped or repeated", async () => {
    // Seven matching runs in echo-two, interleaved with runs that must never show up: the
    // same text in the other workflow, other text in this workflow, and a failed run.
    const matching: string[] = [];
    for (let i = 0; i < 7; i++) {
      matching.push(...(await runEcho(a, [`pager item ${i}`], "echo-two")));
      await runEcho(a, [`pager item ${i}`], "echo");
      await runEcho(a, [`unrelated ${i}`], "echo-two");
    }
    const newestFirst = [...matching].reverse();
    const filters = { q: "PAGER item", workflowId: echoId, status: "succeeded" as const, limit: 3 };

    const p1 = await listRuns(a, filters);
    expect(uuidsOf(p1)).toEqual(newestFirst.slice(0, 3));
    expect(p1.prevCursor).toBeNull();
    expect(p1.nextCursor).not.toBeNull();
    const p2 = await listRuns(a, { ...filters, before: p1.nextCursor! });
    expect(uuidsOf(p2)).toEqual(newestFirst.slice(3, 6));
    expect(p2.prevCursor).not.toBeNull();
    const p3 = await listRuns(a, { ...filters, before: p2.nextCursor! });
    expect(uuidsOf(p3)).toEqual(newestFirst.slice(6));
    expect(p3.nextCursor).toBeNull();

    // Newer from the last page gives the middle page back, then the first.
    const back2 = await listRuns(a, { ...filters, after: p3.prevCursor! });
    expect(uuidsOf(back2)).toEqual(uuidsOf(p2));
    expect(back2.nextCursor).toBe(p2.nextCursor);
    const back1 = await listRuns(a, { ...filters, after: back2.prevCursor! });
    expect(uuidsOf(back1)).toEqual(uuidsOf(p1));
    expect(back1.prevCursor).toBeNull();

    // Another workspace's cursor values change nothing about whose runs are listed.
    expect((await listRuns(b, { ...filters, before: p1.nextCursor! })).runs).toEqual([]);
  });

  it("pages stay full when the text needs a second look (wildcard characters)", async () => {
    // On SQLite, "pg_x" also LIKE-matches "pgax": those candidates are dropped, and the page
    // still holds `limit` real matches.
    const real: string[] = [];
    for (let i = 0; i < 5; i++) {
      real.push(...(await runEcho(a, [`pg_x-${i}`])));
      await runEcho(a, [`pgax-${i}`, `pgbx-${i}`]);
    }
    const newestFirst = [...real].reverse();
    const p1 = await listRuns(a, { q: "pg_x", limit: 2 });
    expect(uuidsOf(p1)).toEqual(newestFirst.slice(0, 2));
    const p2 = await listRuns(a, { q: "pg_x", limit: 2, before: p1.nextCursor! });
    expect(uuidsOf(p2)).toEqual(newestFirst.slice(2, 4));
    const p3 = await listRuns(a, { q: "pg_x", limit: 2, before: p2.nextCursor! });
    expect(uuidsOf(p3)).toEqual(newestFirst.slice(4));
    expect(p3.nextCursor).toBeNull();
    expect(uuidsOf(await listRuns(a, { q: "pg_x", limit: 2, after: p3.prevCursor! }))).toEqual(uuidsOf(p2));
  });

  it("a Newer cursor past the newest run shows the newest page", async () => {
    const newest = await listRuns(a, { limit: 2 });
    const beyond = await listRuns(a, { limit: 2, after: newest.runs[0].id + 1000 });
    expect(uuidsOf(beyond)).toEqual(uuidsOf(newest));
    expect(beyond.prevCursor).toBeNull();
  });
});

describe("a closed time window (read from the created-at index)", () => {
  it("lists exactly the runs created in the window, newest created first (ties by id), page by page", async () => {
    const uuids = await runEcho(b, Array.from({ length: 9 }, (_, i) => `window ${i}`));
    const ids = await Promise.all(uuids.map(async (uuid) => (await db.run.findUniqueOrThrow({ where: { uuid }, select: { id: true } })).id));
    // Times that disagree with the id order: runs 2, 5, 3 and 7 are in [10:00, 11:00), the
    // others not; 3 and 7 were created in the same millisecond.
    const at = (h: number, m = 0) => new Date(Date.UTC(2020, 0, 1, h, m));
    const times = [at(9), at(12), at(10, 50), at(10, 20), at(8), at(10, 0), at(11, 0), at(10, 20), at(13)];
    for (const [i, id] of ids.entries()) await db.run.update({ where: { id }, data: { createdAt: times[i] } });
    const inWindow = [2, 7, 3, 5].map((i) => uuids[i]);
    const window = { createdAfter: at(10), createdBefore: at(11) };
    expect(uuidsOf(await listRuns(b, { ...window, limit: 10 }))).toEqual(inWindow);
    // Pages of two: the cursor between 7 and 3 sits inside their shared millisecond.
    const p1 = await listRuns(b, { ...window, limit: 2 });
    expect(uuidsOf(p1)).toEqual(inWindow.slice(0, 2));
    expect(p1.prevCursor).toBeNull();
    const p2 = await listRuns(b, { ...window, limit: 2, before: p1.nextCursor! });
    expect(uuidsOf(p2)).toEqual(inWindow.slice(2));
    expect(p2.nextCursor).toBeNull();
    expect(uuidsOf(await listRuns(b, { ...window, limit: 2, after: p2.prevCursor! }))).toEqual(inWindow.slice(0, 2));
    const p3 = await listRuns(b, { ...window, limit: 3, before: ids[2] });
    expect(uuidsOf(p3)).toEqual(inWindow.slice(1));
    // A cursor created after the window (run 8) has the whole window before it; one created
    // before it (run 4) has the whole window after it.
    expect(uuidsOf(await listRuns(b, { ...window, before: ids[8] }))).toEqual(inWindow);
    expect(uuidsOf(await listRuns(b, { ...window, limit: 2, after: ids[4] }))).toEqual(inWindow.slice(2));
    // Another workspace's run is no cursor here: nothing lies past it.
    const [other] = await runEcho(a, ["not a cursor for b"]);
    const otherId = (await db.run.findUniqueOrThrow({ where: { uuid: other }, select: { id: true } })).id;
    expect((await listRuns(b, { ...window, before: otherId })).runs).toEqual([]);
    // A window open on one side runs from the beginning of time, or to its end.
    expect(uuidsOf(await listRuns(b, { createdBefore: at(10) }))).toEqual([0, 4].map((i) => uuids[i]));
    const since = uuidsOf(await listRuns(b, { createdAfter: at(10, 30), limit: 100 }));
    expect(since.filter((u) => uuids.includes(u))).toEqual([8, 1, 6, 2].map((i) => uuids[i]));
    // With another filter, and with nothing in the window.
    await db.run.update({ where: { id: ids[5] }, data: { status: "failed" } });
    expect(uuidsOf(await listRuns(b, { ...window, status: "failed" }))).toEqual([uuids[5]]);
    expect((await listRuns(b, { createdAfter: at(14), createdBefore: at(15) })).runs).toEqual([]);
    // Another workspace's runs in the same window are not listed.
    expect((await listRuns(a, window)).runs).toEqual([]);
  });
});

describe("text index (candidates, then the exact test)", () => {
  /** Runs the index lists for a text in A's workspace (before the exact test), newest first, once what is queued is indexed. */
  async function candidates(text: string): Promise<number[]> {
    await flushTextIndex();
    return (await candidateBatch({ texts: [text], idPrefix: null, intId: null, exact: false }, a.workspaceId, "older", undefined, 1000)).ids;
  }
  const idOf = async (uuid: string) => (await db.run.findUniqueOrThrow({ where: { uuid }, select: { id: true } })).id;

  it("a run holding every trigram of the text, but not the text in one piece, is not listed", async () => {
    const [scattered, whole] = await runEcho(a, ["quib quibbl ibble", "a quibble indeed"]);
    // SQLite's index knows trigrams only (a superset); PostgreSQL's `ILIKE` on a part is exact already.
    const listed = await candidates("quibble");
    expect(listed).toContain(await idOf(whole));
    expect(listed.includes(await idOf(scattered))).toBe(databaseProvider() === "sqlite");
    expect(uuidsOf(await listRuns(a, { q: "quibble" }))).toEqual([whole]);
  });

  it("is kept by the database whatever writes the rows: outputs replaced, error set, run deleted", async () => {
    const [uuid] = await runEcho(a, ["walrus ballet"]);
    const id = await idOf(uuid);
    expect(await candidates("shout:walrus")).toContain(id);
    // A write that is not the executor's (Prisma, here) is indexed too.
    await db.runPayload.update({ where: { runId: id }, data: { outputs: JSON.stringify({ said: "narwhal opera" }) } });
    expect(await candidates("shout:walrus")).not.toContain(id);
    expect(uuidsOf(await listRuns(a, { q: "narwhal opera" }))).toEqual([uuid]);
    await db.run.update({ where: { id }, data: { errorMessage: "Flamingo overflow in step 3" } });
    expect(uuidsOf(await listRuns(a, { q: "flamingo overflow" }))).toEqual([uuid]);
    await db.run.update({ where: { id }, data: { errorMessage: null } });
    expect(await candidates("flamingo overflow")).not.toContain(id);
    await db.run.delete({ where: { id } });
    expect(await candidates("walrus ballet")).not.toContain(id);
  });

  it.runIf(databaseProvider() === "sqlite")("SQLite: a run is found while its text waits in the queue, and the queue indexes itself every 256 parts", async () => {
    await flushTextIndex();
    const [queued] = await runEcho(a, ["okapi lantern"]);
    const pending = async () => Number((await db.$queryRawUnsafe<{ n: number }[]>('SELECT count(*) AS n FROM "RunSearchPending"'))[0].n);
    expect(await pending()).toBeGreaterThan(0);
    expect(uuidsOf(await listRuns(a, { q: "okapi lantern" }))).toEqual([queued]);
    // Rows written straight through Prisma: the 256th queued part flushes the queue in its own statement.
    const { id: workflowId, versions } = await db.workflow.findFirstOrThrow({ where: { workspaceId: a.workspaceId, name: "echo" }, select: { id: true, versions: { select: { id: true } } } });
    for (let i = 0; i < 130; i++) {
      await db.run.create({
        data: {
          workspaceId: a.workspaceId, workflowId, versionId: versions[0].id, versionNumber: 1, status: "succeeded", origin: "api",
          payload: { create: { workspaceId: a.workspaceId, inputs: JSON.stringify({ text: `tapir ${i}` }), outputs: JSON.stringify({ said: `tapir ${i}` }) } },
        },
      });
    }
    expect(await pending()).toBeLessThan(256);
    expect(await pending()).toBeLessThan(130 * 2);
    expect((await listRuns(a, { q: "tapir 12", limit: 100 })).runs).toHaveLength(11); // 12 and 120–129
    expect(uuidsOf(await listRuns(a, { q: "okapi lantern" }))).toEqual([queued]);
  });

  it("finds a word deep inside a large input", async () => {
    const filler = Array.from({ length: 6000 }, (_, i) => `word${i % 97}`).join(" ");
    const [big] = await runEcho(a, [`${filler} hippogriff ${filler}`]);
    expect(uuidsOf(await listRuns(a, { q: "HIPPOGRIFF" }))).toEqual([big]);
  });

  it("finds a word wherever it falls against PostgreSQL's 2,000-character chunks", async () => {
    // Stored as {"text":"…"}: the word starts 9 characters later in the JSON, so at 1,999 it
    // crosses the end of the first chunk and lies whole only in the second (which starts at 1,800).
    const pad = (n: number) => "y".repeat(n);
    const [across, atStart] = await runEcho(a, [`${pad(1990)} chimera ${pad(3000)}`, `chimera2 ${pad(5000)}`]);
    expect(uuidsOf(await listRuns(a, { q: "CHIMERA" }))).toEqual([atStart, across]);
    expect(uuidsOf(await listRuns(a, { q: `${pad(150)} chimera` }))).toEqual([across]);
    // A JSON form longer than the chunks' overlap is searched by scanning, with the same answer.
    expect((await listRuns(a, { q: '"'.repeat(120) })).runs).toEqual([]);
  });

  it("finds runs by a UUID prefix and by integer id; text under three characters is scanned instead", async () => {
    const [uuid] = await runEcho(a, ["zq"]);
    expect(uuidsOf(await listRuns(a, { q: uuid.slice(0, 8) }))).toContain(uuid);
    expect(uuidsOf(await listRuns(a, { q: uuid.slice(0, 13).toUpperCase() }))).toEqual([uuid]);
    expect(uuidsOf(await listRuns(a, { q: String(await idOf(uuid)) }))).toContain(uuid);
    expect(uuidsOf(await listRuns(a, { q: "ZQ" }))).toContain(uuid);
  });

  it("pages stay exact when most candidates fail the filters (batches grow)", async () => {
    // 12 runs share the text; only every third is in echo-two. The index lists all of them,
    // the workflow filter keeps four, and pages of one walk them in order.
    const kept: string[] = [];
    for (let i = 0; i < 12; i++) {
      const [uuid] = await runEcho(a, [`manatee parade ${i}`], i % 3 === 0 ? "echo-two" : "echo");
      if (i % 3 === 0) kept.push(uuid);
    }
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await listRuns(a, { q: "manatee parade", workflowId: echoId, limit: 1, before });
      seen.push(...uuidsOf(page));
      if (page.nextCursor === null) break;
      before = page.nextCursor;
    }
    expect(seen).toEqual([...kept].reverse());
    // A cursor beyond every id (and beyond 32 bits) pages from the newest.
    expect(uuidsOf(await listRuns(a, { q: "manatee parade", workflowId: echoId, limit: 1, before: 3_000_000_000 }))).toEqual([kept[3]]);
  });

  it.runIf(databaseProvider() === "sqlite")("asks FTS5 for every trigram of each form of the text", () => {
    expect(ftsTrigramQuery(["abcd"])).toBe('("abc" AND "bcd")');
    expect(ftsTrigramQuery(['a"bc', "xyz"])).toBe('("a""b" AND """bc") OR ("xyz")');
  });
});
