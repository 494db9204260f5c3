/**
 * Fuzz (issue 9): thousands of generated requests against the real production server —
 * every operation of /api/v1/openapi.json (arbitraries derived from the document itself) and
 * every compatibility route (Dify, Vellum, PromptLayer, Datalab, Unstructured) plus the share
 * stream — with a valid key for most and none or a bad one for some. For every request:
 *
 * - the answer is not a 5xx and arrives (no hang), and the server process is still up;
 * - a 4xx has the machine-readable body that route promises;
 * - a refused request (3xx/4xx) and any GET stored nothing: row counts of every table a
 *   request can write, the files on disk, and no upload left half-stored (lib/api/fuzz/row-snapshot.ts).
 *
 * Afterwards the server is healthy: /api/health answers, a normal greet run over HTTP
 * succeeds, no run is left queued or running, every run's event log is gap-free.
 *
 * Reproduce: the seed is printed (FUZZ_SEED=<n> replays the same choices); FUZZ_ONLY=<family
 * prefix> runs some families; FUZZ_SCALE=<x> multiplies the case counts; FUZZ_COLLECT=1 runs
 * every case and reports all failures at the end instead of stopping at the first.
 */
import fc from "fast-check";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { compatFamilies } from "./fuzz/compat-arbitraries";
import { errorBodyProblem } from "./fuzz/error-shapes";
import { describeCase, describeResult, sendCase, type HttpCase, type HttpResult } from "./fuzz/http-case";
import { listOperations, operationCaseArb, wrongMethodCaseArb, type OpenApiDocument } from "./fuzz/openapi-arbitraries";
import { flowdeckPools, sharedPools } from "./fuzz/pools";
import { settle, storedDifferences, takeSnapshot, type RowSnapshot } from "./fuzz/row-snapshot";
import { buildFuzzWorld, definitions, type FuzzWorld } from "./fuzz/world";
import { startTestServer, testServerUnavailable, type TestServer } from "./test-server";

const skip = testServerUnavailable();

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 2_147_483_647));
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const ONLY = process.env.FUZZ_ONLY?.split(",").filter(Boolean) ?? [];
const COLLECT = process.env.FUZZ_COLLECT === "1";
/** Wall-clock budget for all cases together (the server start and the checks after come on top). */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 60_000);

/** Cases per family at FUZZ_SCALE=1; families that start runs or take bodies get more. */
const RUNS: Record<string, number> = {
  "api:startRun": 300, "api:rerunRun": 150, "api:getRun": 70, "api:listRuns": 110, "api:streamRunEvents": 60, "api:cancelRun": 80,
  "api:uploadFile": 100, "api:downloadFile": 60, "api:listWorkflows": 25, "api:createWorkflow": 150, "api:getWorkflow": 50,
  "api:listVersions": 40, "api:publishVersion": 130, "api:getVersion": 50, "api:listLabels": 40, "api:setLabel": 80,
  "api:listApiKeys": 25, "api:createApiKey": 80, "api:revokeApiKey": 60, "api:getWorkspace": 25, "api:getSigningSecret": 25,
  "api:getOpenApi": 15, "api:wrong-method": 60,
  "dify:run": 150, "dify:getRun": 50, "dify:stop": 60, "dify:upload": 80,
  "vellum:execute": 120, "vellum:stream": 80, "vellum:async": 80, "vellum:status": 50,
  "promptlayer:run": 120, "promptlayer:results": 60, "promptlayer:wsToken": 50,
  "datalab:execute": 100, "datalab:getExecution": 50,
  "unstructured:run": 100, "unstructured:getJob": 50, "unstructured:cancel": 50,
  "share:events": 50,
};

interface Tally {
  cases: number;
  byClass: Record<string, number>;
  ms: number;
}

describe.skipIf(skip)("fuzz: generated requests against every route", () => {
  let world: FuzzWorld;
  let server: TestServer;
  let doc: OpenApiDocument;
  let filesRoot: string;
  const families = new Map<string, fc.Arbitrary<HttpCase>>();
  const tallies = new Map<string, Tally>();
  const failures: string[] = [];
  let checkedFully = 0;
  let caseLog = "";
  let checkedSyncOnly = 0;

  beforeAll(async () => {
    world = await buildFuzzWorld();
    filesRoot = path.join(process.env.FLOWDECK_DATA_DIR!, "files");
    server = await startTestServer({
      env: {
        FLOWDECK_FETCH_ALLOW: world.fetchAllow,
        // One callback attempt per run: a delivery row appears when the run ends, never later.
        FLOWDECK_CALLBACK_MAX_ATTEMPTS: "1",
        FLOWDECK_CALLBACK_TIMEOUT_MS: "2000",
      },
    });
    // What the server prints while a case runs goes with that case's failure message.
    const collect = (chunk: Buffer) => {
      if (caseLog.length < 20_000) caseLog += chunk.toString();
    };
    server.process.stdout?.on("data", collect);
    server.process.stderr?.on("data", collect);
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;

    const shared = sharedPools(world);
    const pools = flowdeckPools(shared);
    for (const ref of listOperations(doc)) families.set(`api:${ref.operation.operationId}`, operationCaseArb(doc, ref, pools));
    const wrong = wrongMethodCaseArb(doc, pools);
    if (wrong) families.set("api:wrong-method", wrong);
    for (const [name, arb] of Object.entries(compatFamilies(shared))) families.set(name, arb);
    console.log(`[fuzz] seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${families.size} route families, server ${server.url}`);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await world?.close();
    await shutdownSandboxPool();
  });

  it("every operation of the OpenAPI document and every compatibility route has a generator", () => {
    const ops = listOperations(doc).map((r) => `api:${r.operation.operationId}`);
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const name of [...ops, "dify:run", "vellum:execute", "promptlayer:run", "datalab:execute", "unstructured:run"]) {
      expect(families.has(name), name).toBe(true);
      expect(RUNS[name], `case count for ${name}`).toBeGreaterThan(0);
    }
  });

  /** Keys the fuzz works with stay usable: a case that revoked one (allowed) is undone. */
  async function restoreProtectedKeys(): Promise<void> {
    await db.apiKey.updateMany({ where: { id: { in: world.protectedKeyIds }, revokedAt: { not: null } }, data: { revokedAt: null } });
  }

  let last: RowSnapshot | null = null;

  /** When the family being run must stop sending (its share of the budget is spent). */
  let familyDeadline = Infinity;
  let skipped = 0;

  async function check(c: HttpCase): Promise<void> {
    // fast-check's own time limits race the property and leave a request running in the
    // background; past the deadline the remaining cases are generated but not sent.
    if (Date.now() > familyDeadline) {
      skipped++;
      return;
    }
    const before = last ?? (await takeSnapshot(filesRoot));
    caseLog = "";
    const tally = tallies.get(c.family) ?? { cases: 0, byClass: {}, ms: 0 };
    tallies.set(c.family, tally);
    const started = Date.now();
    let res: HttpResult;
    try {
      res = await sendCase(server.url, c);
    } catch (error) {
      last = null;
      return fail(c, null, [`no answer: ${(error as Error).message}`]);
    } finally {
      tally.cases++;
      tally.ms += Date.now() - started;
    }
    if (process.env.FUZZ_TRACE) console.log(`[fuzz] ${c.family} ${res.status} ${Date.now() - started} ms ${c.method} ${c.target.slice(0, 100)} | ${c.notes.join("; ").slice(0, 200)}`);
    const cls = `${Math.floor(res.status / 100)}xx`;
    tally.byClass[cls] = (tally.byClass[cls] ?? 0) + 1;

    const problems: string[] = [];
    if (res.status >= 500 || res.status < 100) problems.push(`status ${res.status}`);
    if (server.process.exitCode != null || server.process.signalCode != null) problems.push("the server process exited");
    const shape = errorBodyProblem(c, res);
    if (shape) problems.push(shape);

    let after = await takeSnapshot(filesRoot);
    const refused = res.status >= 300;
    if (refused || c.method === "GET" || c.method === "HEAD") {
      const diffs = storedDifferences(before, after);
      if (diffs.length) problems.push(`${refused ? `refused (${res.status})` : c.method} but stored: ${diffs.join(", ")}`);
      if (before.quiet) checkedFully++;
      else checkedSyncOnly++;
    }
    if (after.stagedFiles > 0) problems.push(`${after.stagedFiles} staged upload(s) left in tmp/ after the answer`);
    if (!refused && c.method !== "GET") {
      if (c.method === "DELETE") await restoreProtectedKeys();
      // Let what the request started finish, so the next refused request is checked on every table.
      after = await settle(filesRoot, 3_000);
    }
    last = after;
    if (problems.length) fail(c, res, problems);
  }

  function fail(c: HttpCase, res: HttpResult | null, problems: string[]): void {
    const log = caseLog.trim() ? `\n  server printed: ${caseLog.trim().slice(0, 3_000)}` : "";
    const text = `${problems.join("\n")}\n${describeCase(c)}\n→ ${res ? describeResult(res) : "(no answer)"}${log}`;
    failures.push(text);
    if (!COLLECT) throw new Error(text);
  }

  it("no 5xx, no stored row for a refused request, the promised error bodies", async () => {
    const chosen = [...families.keys()].filter((name) => !ONLY.length || ONLY.some((p) => name.startsWith(p)));
    const planned = chosen.reduce((n, name) => n + Math.round((RUNS[name] ?? 30) * SCALE), 0);
    const deadline = Date.now() + BUDGET_MS * SCALE;
    let index = 0;
    for (const name of chosen) {
      const numRuns = Math.max(1, Math.round((RUNS[name] ?? 30) * SCALE));
      const remaining = Math.max(1_000, deadline - Date.now());
      // A family may take twice its share of what is left before it is cut short.
      familyDeadline = Date.now() + Math.max(1_000, Math.round((remaining * numRuns * 2) / Math.max(numRuns, plannedLeft(chosen, index))));
      const arb = families.get(name)!.map((c) => Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) }));
      const seed = (SEED + index * 7919) % 2_147_483_647;
      await fc.assert(fc.asyncProperty(arb, check), { seed, numRuns, endOnFailure: true });
      index++;
    }

    const rows = [...tallies.entries()].map(([family, t]) =>
      `${family.padEnd(24)} ${String(t.cases).padStart(5)} cases  ${String(Math.round(t.ms / Math.max(t.cases, 1))).padStart(4)} ms/case  ${Object.entries(t.byClass).sort().map(([k, v]) => `${k}:${v}`).join(" ")}`);
    const total = [...tallies.values()].reduce((n, t) => n + t.cases, 0);
    console.log(`[fuzz] ${total} cases sent of ${planned} planned, ${skipped} left unsent past their family's time (seed ${SEED}); refused/GET checked on every table: ${checkedFully}, on sync tables only: ${checkedSyncOnly}\n${rows.join("\n")}`);
    if (failures.length) throw new Error(`${failures.length} failing case(s) (seed ${SEED}):\n\n${failures.slice(0, 20).join("\n\n")}`);
    // Cut short only by a very slow machine: thousands of cases is the point of the suite.
    expect(total).toBeGreaterThanOrEqual(Math.min(planned, Math.round(1_500 * SCALE)));

    function plannedLeft(names: string[], from: number): number {
      return names.slice(from).reduce((n, nm) => n + Math.round((RUNS[nm] ?? 30) * SCALE), 0);
    }
  }, (BUDGET_MS * SCALE) * 2 + 60_000);

  it("the server is healthy after: alive, /api/health, a normal greet run, nothing left running, gap-free logs", async () => {
    expect(server.process.exitCode).toBeNull();
    expect(server.process.signalCode).toBeNull();
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);

    // Runs the fuzz started have had time to end; whatever a fuzzed workflow keeps busy is cancelled over HTTP.
    let snap = await settle(filesRoot, 10_000);
    if (snap.counts.activeRuns > 0) {
      const active = await db.run.findMany({ where: { status: { in: ["queued", "running"] } }, select: { uuid: true, workspaceId: true } });
      for (const run of active) {
        const key = run.workspaceId === world.a.workspaceId ? world.keys.admin : world.keys.otherWorkspace;
        const res = await fetch(`${server.url}/api/v1/runs/${run.uuid}/cancel`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBeLessThan(500);
      }
      snap = await settle(filesRoot, 15_000);
    }
    expect(await db.run.count({ where: { status: { in: ["queued", "running"] } } })).toBe(0);
    expect(snap.stagedFiles).toBe(0);

    // Every run's events are numbered 1..lastSeq without a gap.
    const gaps = await db.$queryRawUnsafe<{ id: number }[]>(
      `SELECT r."id" FROM "Run" r LEFT JOIN (SELECT "runId", count(*) AS c, max("seq") AS m FROM "RunEvent" GROUP BY "runId") e ON e."runId" = r."id"
       WHERE r."lastSeq" <> coalesce(e.c, 0) OR r."lastSeq" <> coalesce(e.m, 0)`,
    );
    expect(gaps.map((g) => Number(g.id))).toEqual([]);

    // A normal greet run over HTTP, on a workflow created over HTTP now (the fuzz may have reshaped `greet`).
    await restoreProtectedKeys();
    const auth = { authorization: `Bearer ${world.keys.admin}`, "content-type": "application/json" };
    const name = `health-greet-${Date.now()}`;
    const created = await fetch(`${server.url}/api/v1/workflows`, { method: "POST", headers: auth, body: JSON.stringify({ name, definition: definitions.greetV1 }) });
    expect(created.status, await created.clone().text()).toBe(201);
    const run = await fetch(`${server.url}/api/v1/workflows/${name}/runs`, { method: "POST", headers: auth, body: JSON.stringify({ inputs: { name: "Ada" } }) });
    const body = (await run.json()) as { status: string; outputs: Record<string, unknown> };
    expect(run.status).toBe(200);
    expect(body.status).toBe("succeeded");
    expect(body.outputs).toEqual({ greeting: "HELLO, ADA!", length: 11 });

    const log = server.output();
    expect(log).not.toMatch(/uncaughtException|unhandledRejection|FATAL ERROR|JavaScript heap out of memory/);
  }, 60_000);
});
