/**
 * History at a million runs: latency of the runs history on a database filled by
 * bench/fill-runs.ts, through the production server, as p50 / p95 / p99.
 *
 *   npx tsx bench/history.ts [--url=file:./data/bench-history/flowdeck.db | postgres://…] [--samples=100] [--budget=12]
 *   npx tsx bench/history.ts --via=service     # the same queries through the services, in this process (no server)
 *   npx tsx bench/history.ts --only=search      # only the cases whose name contains the text
 *   npx tsx bench/history.ts --kind=list        # only one kind of case: list | search | detail
 *
 * For each case, two figures (over HTTP):
 *   - API: GET /api/v1/runs with the filter (the bench API key), the body read in full;
 *   - page: the console page's data request, as the browser makes it on client navigation
 *     from the history page (GET /w/demo/runs?… with `RSC: 1`, the router state of the
 *     history page and a signed-in session cookie), read in full.
 * Cases: the newest page, each filter (status, workflow, label, version, origin, time range),
 * a cursor page deep in the list, text search (rare term, common term, UUID prefix, external
 * id, a term only inside large payloads, a term found nowhere), and the run with 10,000
 * events (API run + its event stream replayed to the end, and the run page's data request).
 * Each case gets `--samples` sequential requests after a warm-up, or fewer when it would take
 * more than `--budget` seconds. Goals (p95): list ≤ 20 ms, search ≤ 100 ms, run detail ≤ 200 ms.
 *
 * The server is `scripts/start.ts` with FLOWDECK_NO_BUILD=1: it serves the existing build
 * (never rebuilds) and applies pending migrations first. Prints a table; writes nothing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { BENCH_API_KEY, BENCH_WORKSPACE, COMMON_TERM, LARGE_ONLY_TERM, LONG_RUN_EXTERNAL_ID, RARE_TERM } from "./history-data";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const url = arg("url") ?? process.env.DATABASE_URL ?? "file:./data/bench-history/flowdeck.db";
const SAMPLES = Number(arg("samples") ?? 100);
const BUDGET_MS = Number(arg("budget") ?? 12) * 1000;
const VIA = (arg("via") ?? "http") as "http" | "service";
/** Only the cases whose name contains this text (e.g. --only=search), or of one kind (--kind=list|search|detail). */
const ONLY = arg("only");
const KIND = arg("kind");
/** A free port (or --port): two benches never talk to each other's server. */
const PORT = Number(arg("port") ?? process.env.BENCH_PORT ?? (await freePort()));
const ORIGIN = `http://127.0.0.1:${PORT}`;

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
const root = path.resolve(import.meta.dirname, "..");
process.env.DATABASE_URL = url;
process.env.FLOWDECK_SECRET_KEY ??= "bench";

const { databaseProvider, sqliteFilePath } = await import("../lib/db/config");
const provider = databaseProvider(url);

// ── What to look for, read from the database ─────────────────────────────────────────────

type Row = Record<string, unknown>;
async function readOnlyQuery(): Promise<{ q(sql: string, ...params: unknown[]): Promise<Row[]>; close(): Promise<void> }> {
  if (provider === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const sq = new Database(sqliteFilePath(url), { readonly: true });
    return { q: async (sql, ...params) => sq.prepare(sql).all(...params) as Row[], close: async () => { sq.close(); } };
  }
  const { Client } = await import("pg");
  const pg = new Client({ connectionString: url });
  await pg.connect();
  return {
    q: async (sql, ...params) => {
      let i = 0;
      return (await pg.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as Row[];
    },
    close: () => pg.end(),
  };
}

async function benchTargets() {
  const { q, close } = await readOnlyQuery();
  try {
    const ws = Number((await q('SELECT "id" FROM "Workspace" WHERE "slug" = ?', BENCH_WORKSPACE))[0].id);
    const bounds = (await q('SELECT min("id") AS lo, max("id") AS hi, count(*) AS n FROM "Run" WHERE "workspaceId" = ?', ws))[0];
    const [lo, hi, n] = [Number(bounds.lo), Number(bounds.hi), Number(bounds.n)];
    if (n < 1000) throw new Error(`workspace '${BENCH_WORKSPACE}' has only ${n} runs: fill it first (npx tsx bench/fill-runs.ts)`);
    const at = async (fraction: number) => Number((await q('SELECT "id" FROM "Run" WHERE "workspaceId" = ? AND "id" <= ? ORDER BY "id" DESC LIMIT 1', ws, Math.round(hi - (hi - lo) * fraction)))[0].id);
    // Workflows by how many runs they have, sampled from the newest 20,000 runs.
    const byWorkflow = await q(
      'SELECT w."id" AS id, w."name" AS name, count(*) AS runs, (SELECT max("number") FROM "WorkflowVersion" v WHERE v."workflowId" = w."id") AS versions ' +
        'FROM (SELECT "workflowId" FROM "Run" WHERE "workspaceId" = ? ORDER BY "id" DESC LIMIT 20000) r JOIN "Workflow" w ON w."id" = r."workflowId" ' +
        'GROUP BY w."id", w."name" ORDER BY runs DESC',
      ws,
    );
    const popular = byWorkflow[0];
    const rare = byWorkflow[byWorkflow.length - 1];
    const versioned = [...byWorkflow].sort((a, b) => Number(b.versions) - Number(a.versions) || Number(b.runs) - Number(a.runs))[0];
    // Timestamps are stored as UTC (SQLite: ISO text; PostgreSQL: timestamp without time zone).
    const newest = (await q(provider === "sqlite" ? 'SELECT "createdAt" AS t FROM "Run" WHERE "id" = ?'
      : `SELECT to_char("createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t FROM "Run" WHERE "id" = ?`, hi))[0].t;
    const newestMs = new Date(String(newest)).getTime();
    const uuidRow = (await q('SELECT "uuid" FROM "Run" WHERE "id" = ?', await at(0.37)))[0];
    const extRow = (await q('SELECT "externalId" AS e FROM "Run" WHERE "workspaceId" = ? AND "id" <= ? AND "externalId" IS NOT NULL ORDER BY "id" DESC LIMIT 1', ws, await at(0.61)))[0];
    const long = (await q('SELECT "id", "uuid" FROM "Run" WHERE "workspaceId" = ? AND "externalId" = ?', ws, LONG_RUN_EXTERNAL_ID))[0];
    const user = (await q('SELECT "id" FROM "User" WHERE "email" = ?', "demo@flowdeck.local"))[0];
    return {
      n, deepCursor: await at(0.5),
      popular: { id: Number(popular.id), name: String(popular.name) },
      rare: { id: Number(rare.id), name: String(rare.name) },
      versioned: { id: Number(versioned.id), name: String(versioned.name), versions: Number(versioned.versions) },
      window: { from: new Date(newestMs - 67 * 86_400_000).toISOString(), to: new Date(newestMs - 60 * 86_400_000).toISOString() },
      recent: new Date(newestMs - 7 * 86_400_000).toISOString(),
      uuidPrefix: String(uuidRow.uuid).slice(0, 8),
      externalId: String(extRow.e),
      long: { id: Number(long.id), uuid: String(long.uuid) },
      userId: String(user.id),
    };
  } finally {
    await close();
  }
}

// ── Cases ────────────────────────────────────────────────────────────────────────────────

type Kind = "list" | "search" | "detail";
interface Case {
  name: string;
  kind: Kind;
  /** GET /api/v1/runs query (list/search) — also the service query. */
  api?: Record<string, string>;
  /** The page's own query string (history filters). */
  page?: Record<string, string>;
}
const GOAL: Record<Kind, number> = { list: 20, search: 100, detail: 200 };

function cases(t: Awaited<ReturnType<typeof benchTargets>>): Case[] {
  const list = (name: string, api: Record<string, string>, page: Record<string, string> = api): Case => ({ name, kind: "list", api, page });
  const search = (name: string, q: string): Case => ({ name, kind: "search", api: { q }, page: { q } });
  return [
    list("newest page", {}),
    list("status=failed", { status: "failed" }),
    list("status=cancelled", { status: "cancelled" }),
    list(`workflow (popular: ${t.popular.name})`, { workflow: t.popular.name }, { workflow: String(t.popular.id) }),
    list(`workflow (rare: ${t.rare.name})`, { workflow: t.rare.name }, { workflow: String(t.rare.id) }),
    list("label=staging", { label: "staging" }),
    list(`workflow + version 1 (of ${t.versioned.versions})`, { workflow: t.versioned.name, version: "1" }, { workflow: String(t.versioned.id), version: "1" }),
    list("version=2 (any workflow)", { version: "2" }),
    list("origin=vellum (0.5%)", { origin: "vellum" }),
    list("origin=ui", { origin: "ui" }),
    list("last 7 days", { created_after: t.recent }, { range: "7d" }),
    list("a week, two months ago", { created_after: t.window.from, created_before: t.window.to }, { from: t.window.from, to: t.window.to }),
    list("status=failed + popular workflow", { status: "failed", workflow: t.popular.name }, { status: "failed", workflow: String(t.popular.id) }),
    list("cursor page, middle of the list", { cursor: Buffer.from(`r:${t.deepCursor}`).toString("base64url") }, { before: String(t.deepCursor) }),
    search(`search: rare term (${RARE_TERM})`, RARE_TERM),
    search(`search: common term (${COMMON_TERM})`, COMMON_TERM),
    search("search: UUID prefix (8 chars)", t.uuidPrefix),
    search("search: external id", t.externalId),
    search(`search: only in large payloads (${LARGE_ONLY_TERM})`, LARGE_ONLY_TERM),
    search("search: found nowhere", "qqxqzv"),
    { ...search(`search: rare term + status=succeeded`, RARE_TERM), api: { q: RARE_TERM, status: "succeeded" }, page: { q: RARE_TERM, status: "succeeded" } },
    { name: "run detail: 10,000-event run", kind: "detail" },
  ];
}

// ── Measuring ────────────────────────────────────────────────────────────────────────────

interface Figure { samples: number[]; rows?: number }
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function measure(call: () => Promise<number | void>): Promise<Figure> {
  let rows: number | undefined;
  for (let i = 0; i < 3; i++) rows = (await call()) ?? rows; // warm-up
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < SAMPLES && (samples.length < 5 || performance.now() - start < BUDGET_MS)) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return { samples: samples.sort((a, b) => a - b), rows };
}

const qs = (o: Record<string, string>) => {
  const s = new URLSearchParams(o).toString();
  return s ? `?${s}` : "";
};

async function httpFigures(t: Awaited<ReturnType<typeof benchTargets>>, all: Case[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-bench-history-"));
  const server = spawn("npx", ["--no-install", "tsx", "scripts/start.ts"], {
    cwd: root,
    env: {
      ...process.env, PORT: String(PORT), DATABASE_URL: url, FLOWDECK_DATA_DIR: dir, FLOWDECK_NO_BUILD: "1", FLOWDECK_EXECUTOR: "inline",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-server.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  };
  process.on("exit", stop);
  let exited = false;
  server.once("exit", () => (exited = true));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));
  const pool = new Pool(ORIGIN, { connections: 4, pipelining: 1, bodyTimeout: 120_000, headersTimeout: 120_000 });
  try {
    // Start-up applies pending migrations first (a new text index is built then): be patient.
    for (let i = 0; ; i++) {
      try {
        const res = await pool.request({ path: "/api/health", method: "GET" });
        await res.body.dump();
        if (res.statusCode === 200) break;
      } catch {
        // not up yet
      }
      if (exited) throw new Error("the server exited before it answered (see its output above)");
      if (i > 3600) throw new Error("server did not start");
      await new Promise((r) => setTimeout(r, 500));
    }
    const cookie = await signIn();
    const api = { authorization: `Bearer ${BENCH_API_KEY}` };
    // A client navigation from another history page (a search no case uses): the browser sends
    // the router state it shows, so the server renders only the segments that change — the page,
    // not the layout. (From the unfiltered page itself, "newest page" would render nothing.)
    const previousPage = `__PAGE__?${JSON.stringify({ q: "previous-page" })}`;
    const historyPageState = ["", { children: ["w", { children: [["workspace", BENCH_WORKSPACE, "d", null], {
      children: ["runs", { children: [previousPage, {}, null, null] }, null, null] }, null, null] }, null, null] }, null, null];
    const rsc = { rsc: "1", cookie, "next-router-state-tree": encodeURIComponent(JSON.stringify(historyPageState)) };
    // Next.js answers an RSC request whose `_rsc` cache-busting value does not match its
    // headers with a redirect to the right one; the browser computes it, here it is learned once.
    let rscParam: string | null = null;
    const get = async (p: string, headers: Record<string, string>): Promise<string> => {
      if (headers.rsc) {
        if (rscParam === null) {
          const probe = await pool.request({ path: p, method: "GET", headers });
          await probe.body.dump();
          const location = probe.statusCode === 307 ? String(probe.headers.location ?? "") : "";
          rscParam = new URL(location || "/?_rsc=", ORIGIN).searchParams.get("_rsc") ?? "";
        }
        p += `${p.includes("?") ? "&" : "?"}_rsc=${encodeURIComponent(rscParam)}`;
      }
      const res = await pool.request({ path: p, method: "GET", headers });
      const body = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET ${p}: ${res.statusCode} ${res.headers.location ?? ""} ${body.slice(0, 300)}`);
      return body;
    };
    const out: { c: Case; figures: Record<string, Figure> }[] = [];
    for (const c of all) {
      const figures: Record<string, Figure> = {};
      if (c.kind === "detail") {
        const uuid = t.long.uuid;
        figures["API run"] = await measure(async () => void (await get(`/api/v1/runs/${uuid}`, api)));
        figures["API events"] = await measure(async () => {
          const body = await get(`/api/v1/runs/${uuid}/events`, api);
          const n = (body.match(/^id: /gm) ?? []).length;
          if (n < 10_000) throw new Error(`the event stream replayed ${n} events`);
          return n;
        });
        figures.page = await measure(async () => void (await get(`/w/${BENCH_WORKSPACE}/runs/${uuid}`, rsc)));
      } else {
        figures.API = await measure(async () => (JSON.parse(await get(`/api/v1/runs${qs({ ...c.api!, limit: "25" })}`, api)) as { data: unknown[] }).data.length);
        figures.page = await measure(async () => void (await get(`/w/${BENCH_WORKSPACE}/runs${qs(c.page!)}`, rsc)));
      }
      out.push({ c, figures });
      printRow(c, figures);
    }
    return out;
  } finally {
    await pool.close();
    stop();
  }

  /** Signs in through Auth.js's credentials form as the login page does; the session cookie. */
  async function signIn(): Promise<string> {
    const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]);
    const csrf = await fetch(`${ORIGIN}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const res = await fetch(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookiesOf(csrf).join("; ") },
      body: new URLSearchParams({ csrfToken, email: "demo@flowdeck.local", password: "flowdeck", callbackUrl: `${ORIGIN}/` }),
    });
    const session = cookiesOf(res).find((c) => c.startsWith("authjs.session-token="));
    if (!session) throw new Error(`sign-in failed: ${res.status}`);
    return session;
  }
}

/** The same queries through the services in this process (what a rebuilt server would run). */
async function serviceFigures(t: Awaited<ReturnType<typeof benchTargets>>, all: Case[]) {
  const { getActorForUser } = await import("../lib/services/users");
  const { listRuns } = await import("../lib/services/runs");
  const { getRunDocument } = await import("../lib/services/run-documents");
  const { listRunEventsAfter, toFrame } = await import("../lib/services/run-events");
  const { db } = await import("../lib/db/client");
  const { getRunDetail } = await import("../lib/services/runs");
  const { loadRunPageData } = await import("../lib/services/run-page");
  const { getRunLineage, listReusedSteps } = await import("../lib/services/run-lineage");
  const { applyRunEvents, initialRunViewState } = await import("../components/runs/run-view-state");
  const { findWorkflow } = await import("../lib/services/workflows");
  const actor = await getActorForUser(t.userId, BENCH_WORKSPACE);
  for (const c of all) {
    const figures: Record<string, Figure> = {};
    if (c.kind === "detail") {
      figures["run doc"] = await measure(async () => void (await getRunDocument(actor, t.long.uuid, {})));
      figures.events = await measure(async () => (await listRunEventsAfter(t.long.id, 0, 20_000)).length);
      // The same read through Prisma (what listRunEventsAfter did before it read directly).
      figures["events (Prisma)"] = await measure(async () => (await db.runEvent.findMany({
        where: { runId: t.long.id }, orderBy: { seq: "asc" }, select: { seq: true, type: true, data: true, createdAt: true },
      })).map(toFrame).length);
      // What the run page's server component does before rendering (app/w/[workspace]/runs/[run]/page.tsx).
      figures["page data"] = await measure(async () => {
        const run = await getRunDetail(actor, t.long.uuid);
        const [{ stepSpecs, frames, definition }] = await Promise.all([loadRunPageData(run), getRunDocument(actor, run.uuid), getRunLineage(actor, run)]);
        const reused = await listReusedSteps(actor, run, definition);
        applyRunEvents(initialRunViewState(stepSpecs, run.status, reused.map((r) => ({ stepId: r.stepId, output: r.output, durationMs: r.durationMs ?? undefined }))), frames);
        return frames.length;
      });
    } else {
      const a = c.api!;
      figures.listRuns = await measure(async () => {
        const workflow = a.workflow ? await findWorkflow(actor, a.workflow) : null;
        const page = await listRuns(actor, {
          workflowId: workflow?.id, status: a.status as never, label: a.label, versionNumber: a.version ? Number(a.version) : undefined,
          origin: a.origin as never, createdAfter: a.created_after ? new Date(a.created_after) : undefined,
          createdBefore: a.created_before ? new Date(a.created_before) : undefined, q: a.q,
          before: a.cursor ? Number(Buffer.from(a.cursor, "base64url").toString().slice(2)) : undefined, limit: 25,
        });
        return page.runs.length;
      });
    }
    printRow(c, figures);
  }
}

// ── Output ───────────────────────────────────────────────────────────────────────────────

let headerPrinted = false;
function printRow(c: Case, figures: Record<string, Figure>) {
  const f = (x: number) => x.toFixed(1);
  if (!headerPrinted) {
    headerPrinted = true;
    console.log(`| case | figure | p50 ms | p95 ms | p99 ms | n | rows | goal p95 |`);
    console.log("|---|---|---|---|---|---|---|---|");
  }
  for (const [name, fig] of Object.entries(figures)) {
    const p95 = pct(fig.samples, 0.95);
    const goal = GOAL[c.kind];
    console.log(
      `| ${c.name} | ${name} | ${f(pct(fig.samples, 0.5))} | ${f(p95)} | ${f(pct(fig.samples, 0.99))} | ${fig.samples.length} | ${fig.rows ?? ""} | ${p95 <= goal ? "✓" : "✗"} ≤ ${goal} |`,
    );
  }
}

const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");
const targets = await benchTargets();
console.log(`history bench: ${provider}, ${targets.n} runs in '${BENCH_WORKSPACE}', via ${VIA}, ${SAMPLES} samples / ${BUDGET_MS / 1000} s per figure; load average ${load()}`);
const all = cases(targets).filter((c) => (!ONLY || c.name.includes(ONLY)) && (!KIND || c.kind === KIND));
if (VIA === "service") await serviceFigures(targets, all);
else await httpFigures(targets, all);
console.log(`load average at the end: ${load()}`);
process.exit(0);
