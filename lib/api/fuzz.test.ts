/**
 * Fuzz (issue 9): thousands of generated requests against the real production server —
 * every operation of /api/v1/openapi.json (arbitraries derived from the document itself) and
 * every compatibility route (Dify, Vellum, PromptLayer, Datalab, Unstructured) plus the share
 * stream — about two in five well-formed (a working key, real ids, a body the route should
 * take), the rest hostile (no key or a bad one, other workspaces' ids, garbage, mutated
 * bodies, wrong content types). For every request:
 *
 * - the answer is not a 5xx and arrives (no hang), and the server process is still up;
 * - a 4xx has the machine-readable body that route promises (lib/api/fuzz/error-shapes.ts);
 * - a refused request (3xx/4xx) and any GET stored nothing: row counts of every table a
 *   request can write and the files on disk (lib/api/fuzz/row-snapshot.ts).
 *
 * The families run in a few lanes at once, each lane in its own pair of workspaces, so each
 * lane counts only its own rows and the checks stay exact. Afterwards the server is healthy:
 * /api/health answers, a normal greet run over HTTP succeeds, no run is left queued or running,
 * no upload is left half-stored, every run's event log is gap-free, the process never died.
 *
 * Reproduce: the seed is printed (FUZZ_SEED=<n> replays the same choices); FUZZ_ONLY=<family
 * prefix,…> runs some families; FUZZ_SCALE=<x> multiplies case counts and budget;
 * FUZZ_LANES=<n> sets how many lanes run at once (default 1, where half-stored uploads are caught
 * per case; with more, once at the end);
 * FUZZ_COLLECT=1 runs every case and reports all failures at the end.
 */
import fc from "fast-check";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { shutdownSandboxPool } from "../engine";
import { compatEndpoints } from "../compat";
import { COMPAT_FAMILY_ENDPOINTS, compatFamilies } from "./fuzz/compat-arbitraries";
import { errorBodyProblem } from "./fuzz/error-shapes";
import { describeCase, describeResult, sendCase, type HttpCase, type HttpResult } from "./fuzz/http-case";
import { listOperations, operationCaseArb, wrongMethodCaseArb, type OpenApiDocument } from "./fuzz/openapi-arbitraries";
import { flowdeckPools } from "./fuzz/flowdeck-pools";
import { sharedPools } from "./fuzz/pools";
import { closeSnapshots, countStagedFiles, settle, storedDifferences, takeSnapshot, type RowSnapshot, type SnapshotScope } from "./fuzz/row-snapshot";
import { runWsCase, wsCaseArb, type WsCase } from "./fuzz/websocket-cases";
import { buildFuzzWorld, definitions, startLocalServers, type FuzzWorld, type LocalServers } from "./fuzz/world";
import { startTestServer, testServerUnavailable, type TestServer } from "./test-server";

const skip = testServerUnavailable();

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 2_147_483_647));
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const ONLY = process.env.FUZZ_ONLY?.split(",").filter(Boolean) ?? [];
const COLLECT = process.env.FUZZ_COLLECT === "1";
const LANES = Math.max(1, Number(process.env.FUZZ_LANES ?? 1));
/** Cases every family sends even past its time (so a slow machine still touches every route). */
const MIN_CASES = 5;
/** Wall-clock budget for all cases together (the server start and the checks after come on top). */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 50_000);

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
const planned = (name: string) => Math.max(1, Math.round((RUNS[name] ?? 30) * SCALE));

interface Tally {
  cases: number;
  byClass: Record<string, number>;
  ms: number;
}

function describeWs(c: WsCase): string {
  return `[promptlayer:websocket] ${c.path}: ${c.frames.map((f) => f.note).join(" | ") || "(no frames)"}`;
}

/** One lane: a world of its own and the families it runs, one case at a time. */
interface Lane {
  index: number;
  world: FuzzWorld;
  scope: SnapshotScope;
  families: Map<string, fc.Arbitrary<HttpCase>>;
  last: RowSnapshot | null;
}

describe.skipIf(skip)("fuzz: generated requests against every route", () => {
  let servers: LocalServers;
  let server: TestServer;
  let doc: OpenApiDocument;
  let filesRoot: string;
  const lanes: Lane[] = [];
  /** Every family's name, in the document's order (its seed is derived from its place here). */
  const familyOrder: string[] = [];
  const tallies = new Map<string, Tally>();
  const failures: string[] = [];
  let stopAll = false;
  let checkedFully = 0;
  let checkedSyncOnly = 0;
  let skipped = 0;
  /** Staged uploads in tmp/ after the last case (one lane): a case that leaves more leaked one. */
  let stagedBefore = 0;
  let serverLog = "";
  /** Where the time goes (ms, summed over lanes): sending and reading, the snapshot after, waiting for runs to end. */
  const phases = { send: 0, snapshot: 0, settle: 0 };

  beforeAll(async () => {
    const setupStarted = Date.now();
    await applyMigrations();
    servers = await startLocalServers();
    filesRoot = path.join(process.env.FLOWDECK_DATA_DIR!, "files");
    // The worlds are made while the server starts: it serves nothing before they are ready.
    const starting = startTestServer({
      env: {
        FLOWDECK_FETCH_ALLOW: servers.fetchAllow,
        // One callback attempt per run: a delivery row appears when the run ends, never later.
        FLOWDECK_CALLBACK_MAX_ATTEMPTS: "1",
        FLOWDECK_CALLBACK_TIMEOUT_MS: "2000",
        // As scripts/start.ts sets it: garbage session cookies then go through Auth.js's decoding.
        AUTH_SECRET: process.env.AUTH_SECRET || process.env.FLOWDECK_SECRET_KEY || "fuzz-auth-secret",
      },
    });
    let worlds: FuzzWorld[];
    try {
      worlds = await Promise.all(Array.from({ length: LANES }, (_, i) => buildFuzzWorld(i, servers)));
    } catch (error) {
      await (await starting.catch(() => null))?.stop();
      throw error;
    }
    const worldsMs = Date.now() - setupStarted;
    server = await starting;
    const collect = (chunk: Buffer) => {
      if (serverLog.length < 200_000) serverLog += chunk.toString();
    };
    server.process.stdout?.on("data", collect);
    server.process.stderr?.on("data", collect);

    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;

    for (const [index, world] of worlds.entries()) {
      const shared = sharedPools(world);
      const pools = flowdeckPools(shared);
      const families = new Map<string, fc.Arbitrary<HttpCase>>();
      for (const ref of listOperations(doc)) families.set(`api:${ref.operation.operationId}`, operationCaseArb(doc, ref, pools));
      const wrong = wrongMethodCaseArb(doc, pools);
      if (wrong) families.set("api:wrong-method", wrong);
      for (const [name, arb] of Object.entries(compatFamilies(shared))) families.set(name, arb);
      lanes.push({ index, world, scope: { workspaceIds: [world.a.workspaceId, world.b.workspaceId], filesRoot }, families, last: null });
    }
    familyOrder.push(...lanes[0].families.keys());
    console.log(
      `[fuzz] seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${familyOrder.length} route families in ${LANES} lane(s), server ${server.url}; ` +
      `setup ${Date.now() - setupStarted} ms (worlds ${worldsMs} ms)`,
    );
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await servers?.close();
    await closeSnapshots();
    await shutdownSandboxPool();
  });

  it("every operation of the OpenAPI document and every compatibility route has a generator", () => {
    const ops = listOperations(doc).map((r) => `api:${r.operation.operationId}`);
    expect(ops.length).toBeGreaterThanOrEqual(20);
    // Every endpoint the adapters declare (lib/compat) is some family's target.
    const covered = Object.values(COMPAT_FAMILY_ENDPOINTS).map((e) => `${e.method} ${e.path}`);
    for (const e of compatEndpoints) expect(covered, `${e.method} ${e.path}`).toContain(`${e.method} ${e.path}`);
    for (const name of [...ops, ...Object.keys(COMPAT_FAMILY_ENDPOINTS), "share:events"]) {
      expect(familyOrder, name).toContain(name);
      expect(RUNS[name], `case count for ${name}`).toBeGreaterThan(0);
    }
  });

  /** Keys the fuzz works with stay usable: a case that revoked one (allowed) is undone. */
  async function restoreProtectedKeys(world: FuzzWorld): Promise<void> {
    await db.apiKey.updateMany({ where: { id: { in: world.protectedKeyIds }, revokedAt: { not: null } }, data: { revokedAt: null } });
  }

  async function check(lane: Lane, c: HttpCase, familyDeadline: number): Promise<void> {
    // fast-check's own time limits race the property and leave a request running in the
    // background; past the deadline the remaining cases are generated but not sent.
    if (stopAll || (Date.now() > familyDeadline && (tallies.get(c.family)?.cases ?? 0) >= MIN_CASES)) {
      skipped++;
      return;
    }
    const before = lane.last ?? (await takeSnapshot(lane.scope));
    const tally = tallies.get(c.family) ?? { cases: 0, byClass: {}, ms: 0 };
    tallies.set(c.family, tally);
    const logFrom = serverLog.length;
    const started = Date.now();
    let res: HttpResult;
    try {
      res = await sendCase(server.url, c);
    } catch (error) {
      lane.last = null;
      return fail(c, null, [`no answer: ${(error as Error).message}`], logFrom);
    } finally {
      tally.cases++;
      tally.ms += Date.now() - started;
      phases.send += Date.now() - started;
    }
    if (process.env.FUZZ_TRACE) console.log(`[fuzz] ${res.status} ${c.family} ${c.notes.join("; ").slice(0, 160)} → ${res.body.toString("utf8").slice(0, 200)}`);
    const cls = `${Math.floor(res.status / 100)}xx`;
    tally.byClass[cls] = (tally.byClass[cls] ?? 0) + 1;

    const problems: string[] = [];
    if (res.status >= 500 || res.status < 100) problems.push(`status ${res.status}`);
    if (server.process.exitCode != null || server.process.signalCode != null) problems.push("the server process exited");
    const shape = errorBodyProblem(c, res);
    if (shape) problems.push(shape);
    // Next.js logs an uncaught exception and carries on; it is still a crash of that request.
    // (Printed output may trail its answer a little: the case beside it may be the one.)
    if (/uncaughtException|unhandledRejection/.test(serverLog.slice(logFrom))) problems.push("the server logged an uncaught exception");

    const refused = res.status >= 300;
    const readOnly = c.method === "GET" || c.method === "HEAD";
    let after: RowSnapshot;
    if (!refused && !readOnly) {
      if (c.method === "DELETE") await restoreProtectedKeys(lane.world);
      // Let what the request started finish, so the next refused request is checked on every table.
      const settleStarted = Date.now();
      after = await settle(lane.scope, 3_000);
      phases.settle += Date.now() - settleStarted;
    } else {
      const snapStarted = Date.now();
      after = await takeSnapshot(lane.scope);
      phases.snapshot += Date.now() - snapStarted;
    }
    if (refused || readOnly) {
      const diffs = storedDifferences(before, after);
      if (diffs.length) problems.push(`${refused ? `refused (${res.status})` : c.method} but stored: ${diffs.join(", ")}`);
      if (before.quiet) checkedFully++;
      else checkedSyncOnly++;
    }
    // With one lane nothing else uploads: a staged upload left behind belongs to this case.
    if (LANES === 1) {
      const staged = await countStagedFiles(filesRoot);
      if (staged > stagedBefore) problems.push(`${staged - stagedBefore} staged upload(s) left in tmp/ after the answer`);
      stagedBefore = staged;
    }
    lane.last = after;
    if (problems.length) fail(c, res, problems, logFrom);
  }

  function fail(c: HttpCase, res: HttpResult | null, problems: string[], logFrom: number): void {
    const printed = serverLog.slice(logFrom).trim();
    const log = printed ? `\n  server printed (this case, or one beside it): ${printed.slice(0, 3_000)}` : "";
    const seed = (SEED + familyOrder.indexOf(c.family) * 7919) % 2_147_483_647;
    const replay = `\n  (family seed ${seed}; FUZZ_SEED=${SEED} FUZZ_ONLY=${c.family} replays the family's choices, in a fresh world)`;
    const text = `${problems.join("\n")}\n${describeCase(c)}\n→ ${res ? describeResult(res) : "(no answer)"}${log}${replay}`;
    failures.push(text);
    if (!COLLECT) {
      stopAll = true;
      throw new Error(text);
    }
  }

  /** Runs one lane's families one after another, each within its share of what is left of the budget. */
  async function runLane(lane: Lane, names: string[], deadline: number): Promise<void> {
    for (const [i, name] of names.entries()) {
      if (stopAll) return;
      const numRuns = planned(name);
      const left = names.slice(i).reduce((n, nm) => n + planned(nm), 0);
      const remaining = Math.max(0, deadline - Date.now());
      // Its share of what is left (what a family leaves unused goes to the ones after it).
      const familyDeadline = Date.now() + Math.round((remaining * numRuns) / Math.max(numRuns, left));
      const arb = lane.families.get(name)!.map((c) => Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) }));
      const seed = (SEED + familyOrder.indexOf(name) * 7919) % 2_147_483_647;
      await fc.assert(fc.asyncProperty(arb, (c) => check(lane, c, familyDeadline)), { seed, numRuns, endOnFailure: true });
    }
  }

  it("no 5xx, no stored row for a refused request, the promised error bodies", async () => {
    const chosen = familyOrder.filter((name) => !ONLY.length || ONLY.some((p) => name.startsWith(p)));
    const total = chosen.reduce((n, name) => n + planned(name), 0);
    // Families to lanes: the largest first, each to the lane with the fewest cases so far.
    const assigned: string[][] = lanes.map(() => []);
    const load = lanes.map(() => 0);
    for (const name of [...chosen].sort((x, y) => planned(y) - planned(x))) {
      const i = load.indexOf(Math.min(...load));
      assigned[i].push(name);
      load[i] += planned(name);
    }
    const started = Date.now();
    const deadline = started + BUDGET_MS * SCALE;
    const results = await Promise.allSettled(lanes.map((lane) => runLane(lane, assigned[lane.index], deadline)));

    const rows = [...tallies.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([family, t]) =>
      `${family.padEnd(24)} ${String(t.cases).padStart(5)} cases  ${String(Math.round(t.ms / Math.max(t.cases, 1))).padStart(4)} ms/case  ${Object.entries(t.byClass).sort().map(([k, v]) => `${k}:${v}`).join(" ")}`);
    const sent = [...tallies.values()].reduce((n, t) => n + t.cases, 0);
    console.log(
      `[fuzz] ${sent} cases sent of ${total} planned in ${Date.now() - started} ms over ${LANES} lane(s), ${skipped} left unsent past their family's time ` +
      `(seed ${SEED}, load ${os.loadavg()[0].toFixed(1)}); refused/GET checked on every table: ${checkedFully}, on sync tables only: ${checkedSyncOnly}; ` +
      `lane time: send ${phases.send} ms, snapshot ${phases.snapshot} ms, settle ${phases.settle} ms` +
      `\n${rows.join("\n")}`,
    );
    // fast-check's own report first: it names the family's seed and the path of the failing case.
    for (const r of results) if (r.status === "rejected") throw r.reason;
    if (failures.length) throw new Error(`${failures.length} failing case(s) (seed ${SEED}):\n\n${failures.slice(0, 20).join("\n\n")}`);
    // The budget bounds the time, not the count (a loaded machine sends fewer): every family
    // must still have had its turn.
    for (const name of chosen) expect(tallies.get(name)?.cases ?? 0, `cases sent for ${name}`).toBeGreaterThanOrEqual(Math.min(planned(name), MIN_CASES));
  }, BUDGET_MS * SCALE * 2 + 60_000);

  it("PromptLayer's WebSocket: generated sessions end cleanly, store nothing, and leave the server up", async () => {
    if (ONLY.length && !ONLY.some((p) => "promptlayer:websocket".startsWith(p))) return;
    const lane = lanes[0];
    let sessions = 0;
    const arb = wsCaseArb(lane.world).map((c) => Object.assign(c, { [fc.toStringMethod]: () => describeWs(c) }));
    const deadline = Date.now() + 8_000 * SCALE;
    await fc.assert(fc.asyncProperty(arb, async (c: WsCase) => {
      if (Date.now() > deadline) return;
      const before = await settle(lane.scope, 3_000);
      const result = await runWsCase(server.url, c);
      sessions++;
      const problems: string[] = [];
      if (result.error?.startsWith("no end")) problems.push(result.error);
      if (result.closeCode === 1011 || result.closeCode === 3004) problems.push(`closed with ${result.closeCode} (a server error)`);
      if (server.process.exitCode != null || server.process.signalCode != null) problems.push("the server process exited");
      const diffs = storedDifferences(before, await takeSnapshot(lane.scope));
      if (diffs.length) problems.push(`a WebSocket session stored: ${diffs.join(", ")}`);
      if (problems.length) throw new Error(`${problems.join("; ")}\n${describeWs(c)}\n→ ${JSON.stringify(result).slice(0, 1_000)}`);
    }), { seed: SEED, numRuns: Math.round(60 * SCALE), endOnFailure: true });
    console.log(`[fuzz] promptlayer:websocket ${sessions} sessions`);
    expect(sessions).toBeGreaterThanOrEqual(Math.min(10, Math.round(60 * SCALE)));
  }, 60_000);

  it("the server is healthy after: alive, /api/health, a normal greet run, nothing left running, gap-free logs", async () => {
    expect(server.process.exitCode).toBeNull();
    expect(server.process.signalCode).toBeNull();
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);

    // Runs the fuzz started have had time to end; whatever a fuzzed workflow keeps busy is cancelled over HTTP.
    const everything: SnapshotScope = { workspaceIds: lanes.flatMap((l) => l.scope.workspaceIds), filesRoot };
    let snap = await settle(everything, 10_000);
    if (snap.counts.activeRuns > 0) {
      const keys = new Map(lanes.flatMap((l) => [[l.world.a.workspaceId, l.world.keys.admin], [l.world.b.workspaceId, l.world.keys.otherWorkspace]] as const));
      const active = await db.run.findMany({ where: { status: { in: ["queued", "running"] } }, select: { uuid: true, workspaceId: true } });
      for (const run of active) {
        const res = await fetch(`${server.url}/api/v1/runs/${run.uuid}/cancel`, { method: "POST", headers: { authorization: `Bearer ${keys.get(run.workspaceId)}` } });
        expect(res.status).toBeLessThan(500);
      }
      snap = await settle(everything, 15_000);
    }
    expect(await db.run.count({ where: { status: { in: ["queued", "running"] } } })).toBe(0);
    expect(await countStagedFiles(filesRoot), "uploads left half-stored in tmp/").toBe(0);

    // Every run's events are numbered 1..lastSeq without a gap.
    const gaps = await db.$queryRawUnsafe<{ id: number }[]>(
      `SELECT r."id" FROM "Run" r LEFT JOIN (SELECT "runId", count(*) AS c, max("seq") AS m FROM "RunEvent" GROUP BY "runId") e ON e."runId" = r."id"
       WHERE r."lastSeq" <> coalesce(e.c, 0) OR r."lastSeq" <> coalesce(e.m, 0)`,
    );
    expect(gaps.map((g) => Number(g.id))).toEqual([]);

    // A normal greet run over HTTP, on a workflow created over HTTP now (the fuzz may have reshaped `greet`).
    const world = lanes[0].world;
    await restoreProtectedKeys(world);
    const auth = { authorization: `Bearer ${world.keys.admin}`, "content-type": "application/json" };
    const name = `health-greet-${Date.now()}`;
    const created = await fetch(`${server.url}/api/v1/workflows`, { method: "POST", headers: auth, body: JSON.stringify({ name, definition: definitions.greetV1 }) });
    expect(created.status, await created.clone().text()).toBe(201);
    const run = await fetch(`${server.url}/api/v1/workflows/${name}/runs`, { method: "POST", headers: auth, body: JSON.stringify({ inputs: { name: "Ada" } }) });
    const body = (await run.json()) as { status: string; outputs: Record<string, unknown> };
    expect(run.status).toBe(200);
    expect(body.status).toBe("succeeded");
    expect(body.outputs).toEqual({ greeting: "HELLO, ADA!", length: 11 });

    expect(serverLog).not.toMatch(/uncaughtException|unhandledRejection|FATAL ERROR|JavaScript heap out of memory/);
  }, 60_000);
});
