/**
 * Soak: minutes of mixed load against the production server, then a strict account.
 *
 *   npx tsx bench/soak.ts [--db=sqlite|postgresql] [--minutes=10] [--lanes=1]
 *
 * Load (each kind its own loop, with a short pause between requests; --lanes=N runs N of
 * each): blocking `greet` runs; streaming runs of an `llm` workflow (its SSE read to the
 * end); async runs polled until they end; live runs with three SSE viewers each (one from
 * the start, one joining late, one that drops and reconnects with Last-Event-ID; every
 * fifth run cancelled part-way); history reads (list, filters, cursor page, text search, run
 * detail); Dify-compatible runs (POST /v1/workflows/run and its status route); file uploads
 * run through `document-stats`. The LLM is scripts/fake-openai.ts in its own process.
 *
 * Every answer is checked (status, body, stream order). The server's RSS (and, sampled
 * after a forced GC by bench/mem-probe.mjs, its live heap) is read every 5 s. At the end:
 * every accepted run must be stored (none lost), every one must end within 30 s (none
 * stuck) with the expected status, and every event log must be gap-free with one
 * run_finished. Memory growth = median RSS of the last minute vs median of minute 2 (the
 * first minute is warm-up; runs shorter than 3 minutes compare the last third with the
 * second). Exit status 1 on any error, lost or stuck run, or growth ≥ 10%.
 *
 * SQLite: one server executing runs inline. PostgreSQL: the scale-out shape, the web
 * process in worker mode plus one worker process (its memory is watched too).
 * Without --db it runs SQLite, then PostgreSQL (a child process each).
 * The server is never rebuilt (FLOWDECK_NO_BUILD=1): it serves the current .next build.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { Agent, FormData, request } from "undici";
import {
  arg, loadAverage, median, openBenchDatabase, pct, procStats, readMemProbe, root, seedBenchWorkspace, serverEnv, SseFrames,
  sleep, startFakeLlm, startWeb, startWorkerProcess, type Child, type DbKind,
} from "./load-kit";

const MINUTES = Number(arg("minutes") ?? 10);
const LANES = Number(arg("lanes") ?? 1);
const dbArg = arg("db") as DbKind | undefined;
const SAMPLE_MS = 5000;
const STUCK_AFTER_MS = 30_000;

if (!dbArg) {
  let failed = false;
  for (const db of ["sqlite", "postgresql"] as const) {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench/soak.ts"), `--db=${db}`, ...process.argv.slice(2)], {
      cwd: root, stdio: "inherit",
    });
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    if (code !== 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

// ---- Setup
const db = await openBenchDatabase(dbArg);
const llm = await startFakeLlm(5);
const ws = await seedBenchWorkspace({
  llmUrl: llm.url,
  workflows: {
    chat: {
      inputs: [{ name: "tokens", type: "number", default: 40 }, { name: "topic", type: "text", required: false }],
      steps: [{ id: "answer", kind: "llm", config: { prompt: "{{ inputs.topic }} tokens:{{ inputs.tokens }}" } }],
      outputs: { text: "{{ steps.answer.output.text }}", tokens: "{{ steps.answer.output.usage.completion_tokens }}" },
    },
  },
});
const { db: prisma } = await import("../lib/db/client");
const pg = db.kind === "postgresql";
const env = serverEnv(db, { FLOWDECK_FETCH_ALLOW: llm.host, FLOWDECK_EXECUTOR: pg ? "worker" : "inline" });
const webProbe = path.join(db.dir, "web-mem.jsonl");
const workerProbe = path.join(db.dir, "worker-mem.jsonl");
const web = await startWeb(env, "web", { memProbeFile: webProbe, memProbeMs: 10_000, gc: true });
const worker = pg ? await startWorkerProcess(env, "worker", { memProbeFile: workerProbe, memProbeMs: 10_000, gc: true }) : null;
const watched: Child[] = worker ? [web, worker] : [web];
const base = web.url;

const agent = new Agent({ connections: null, pipelining: 1, bodyTimeout: 120_000, headersTimeout: 120_000 });
const auth = { authorization: `Bearer ${ws.key}` };
const difyAuth = { authorization: `Bearer ${ws.difyKey}` };

// ---- Book-keeping
interface KindStats { requests: number; errors: number; ms: number[] }
const kinds = new Map<string, KindStats>();
const errors: string[] = [];
let errorCount = 0;
/** Accepted runs: uuid → the status it must end with. */
const accepted = new Map<string, "succeeded" | "cancelled">();
const known: string[] = []; // a few run ids for detail reads

function stat(kind: string): KindStats {
  let s = kinds.get(kind);
  if (!s) kinds.set(kind, (s = { requests: 0, errors: 0, ms: [] }));
  return s;
}

function fail(kind: string, message: string): void {
  stat(kind).errors++;
  errorCount++;
  if (errors.length < 60) errors.push(`${new Date().toISOString().slice(11, 19)} ${kind}: ${message}`);
}

class Check extends Error {}
const check = (ok: unknown, message: string) => {
  if (!ok) throw new Check(message);
};

/** Times one request-level operation and books its outcome under `kind`. */
async function op(kind: string, fn: () => Promise<void>): Promise<void> {
  const s = stat(kind);
  s.requests++;
  const t0 = performance.now();
  try {
    await fn();
    if (s.ms.length < 200_000) s.ms.push(performance.now() - t0);
  } catch (err) {
    fail(kind, err instanceof Check ? err.message : `${(err as Error).name}: ${(err as Error).message}`);
  }
}

async function call(method: string, urlPath: string, opts: { body?: unknown; headers?: Record<string, string>; form?: FormData } = {}) {
  const res = await request(`${base}${urlPath}`, {
    dispatcher: agent, method: method as "GET",
    headers: { ...auth, ...(opts.body !== undefined && { "content-type": "application/json" }), ...opts.headers },
    body: opts.form ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
  });
  const text = await res.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { raw: text.slice(0, 200) };
  }
  return { status: res.statusCode, headers: res.headers, json };
}

const short = (x: unknown) => JSON.stringify(x).slice(0, 300);
let counter = 0;

/**
 * Reads a run's SSE (GET …/events, or a streaming POST's answer) checking seqs from
 * `afterSeq + 1`; resolves with the last frame's seq and the run_finished data. `stopAfter`
 * drops the connection after that many frames (to reconnect with Last-Event-ID).
 */
async function readEvents(
  body: AsyncIterable<unknown> & { setEncoding(e: string): unknown; destroy(): unknown },
  afterSeq: number,
  stopAfter = Infinity,
): Promise<{ lastSeq: number; finished: Record<string, unknown> | null }> {
  let expected = afterSeq + 1;
  let finished: Record<string, unknown> | null = null;
  let frames = 0;
  let problem: string | null = null;
  const parser = new SseFrames((id, event, data) => {
    if (problem) return;
    if (finished) problem = `frame ${id} after run_finished`;
    else if (Number(id) !== expected) problem = `seq ${id} where ${expected} was due`;
    else {
      expected++;
      frames++;
      if (event === "run_finished") finished = JSON.parse(data).data;
    }
  });
  body.setEncoding("utf8");
  for await (const text of body) {
    parser.push(text as string);
    if (problem) break;
    if (frames >= stopAfter && !finished) {
      body.destroy();
      break;
    }
  }
  check(!problem, problem!);
  check(finished || stopAfter < Infinity, `the stream ended after seq ${expected - 1} without run_finished (${parser.rest.length} bytes of an unfinished frame)`);
  return { lastSeq: expected - 1, finished };
}

async function follow(runId: string, afterSeq = 0, stopAfter = Infinity) {
  const res = await request(`${base}/api/v1/runs/${runId}/events`, {
    dispatcher: agent, headers: { ...auth, accept: "text/event-stream", ...(afterSeq && { "last-event-id": String(afterSeq) }) },
  });
  if (res.statusCode !== 200) throw new Check(`events ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
  return readEvents(res.body, afterSeq, stopAfter);
}

async function waitFinal(runId: string, kind: string): Promise<any> {
  for (let i = 0; ; i++) {
    const r = await call("GET", `/api/v1/runs/${runId}`);
    stat(kind).requests++; // counted apart from the runs they poll
    check(r.status === 200, `poll ${r.status}: ${short(r.json)}`);
    if (["succeeded", "failed", "cancelled"].includes(r.json.status)) return r.json;
    check(i < 600, `run ${runId} still ${r.json.status} after 150 s of polling`);
    await sleep(250);
  }
}

// ---- The kinds of load
const loads: Record<string, () => Promise<void>> = {
  async blocking() {
    await op("blocking run", async () => {
      const name = `soak ${++counter}`;
      const r = await call("POST", "/api/v1/workflows/greet/runs", { body: { inputs: { name }, label: "production", response_mode: "blocking" } });
      if (r.status === 202) {
        accepted.set(r.json.id, "succeeded");
        throw new Check(`blocking run answered 202 (past the wait limit): ${short(r.json)}`);
      }
      check(r.status === 200, `${r.status}: ${short(r.json)}`);
      accepted.set(r.json.id, "succeeded");
      check(r.json.status === "succeeded" && r.json.outputs?.greeting === `HELLO, ${name.toUpperCase()}!`, `unexpected result ${short(r.json)}`);
      if (known.length < 500) known.push(r.json.id);
    });
    await sleep(100);
  },

  async streaming() {
    await op("streaming run", async () => {
      const res = await request(`${base}/api/v1/workflows/chat/runs`, {
        dispatcher: agent, method: "POST", headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ inputs: { tokens: 40, topic: `stream ${++counter}` }, response_mode: "streaming" }),
      });
      const id = res.headers["x-flowdeck-run-id"] as string | undefined;
      if (id) accepted.set(id, "succeeded");
      if (res.statusCode !== 200 || !id) throw new Check(`${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
      const { finished } = await readEvents(res.body, 0);
      check(finished?.status === "succeeded", `stream ended ${short(finished)}`);
    });
    await sleep(200);
  },

  async async() {
    await op("async run (polled to the end)", async () => {
      const r = await call("POST", "/api/v1/workflows/chat/runs", { body: { inputs: { tokens: 100, topic: `async ${++counter}` }, response_mode: "async" } });
      check(r.status === 202, `${r.status}: ${short(r.json)}`);
      accepted.set(r.json.id, "succeeded");
      const run = await waitFinal(r.json.id, "run status poll");
      check(run.status === "succeeded" && run.outputs?.tokens === 100, `ended ${short({ status: run.status, outputs: run.outputs, error: run.error })}`);
    });
    await sleep(200);
  },

  async viewers() {
    const cancel = ++counter % 5 === 0;
    await op("live run with 3 viewers", async () => {
      const r = await call("POST", "/api/v1/workflows/chat/runs", { body: { inputs: { tokens: 300, topic: `viewed ${counter}` }, response_mode: "async" } });
      check(r.status === 202, `${r.status}: ${short(r.json)}`);
      const id: string = r.json.id;
      accepted.set(id, cancel ? "cancelled" : "succeeded");
      const want = cancel ? "cancelled" : "succeeded";
      const first = follow(id);
      const late = sleep(300).then(() => follow(id));
      const dropper = (async () => {
        const part = await follow(id, 0, 20);
        if (part.finished) return part;
        await sleep(100);
        return follow(id, part.lastSeq);
      })();
      if (cancel) {
        await sleep(600);
        const c = await call("POST", `/api/v1/runs/${id}/cancel`, { body: {} });
        check(c.status === 202, `cancel ${c.status}: ${short(c.json)}`);
      }
      const results = await Promise.all([first, late, dropper]);
      for (const [i, res] of results.entries()) {
        check(res.finished?.status === want, `viewer ${i} saw the run end ${short(res.finished)}, expected ${want}`);
        check(res.lastSeq === results[0].lastSeq, `viewer ${i} ended at seq ${res.lastSeq}, viewer 0 at ${results[0].lastSeq}`);
      }
    });
    await sleep(200);
  },

  async history() {
    const variant = ++counter % 6;
    await op("history read", async () => {
      if (variant === 0) {
        const r = await call("GET", "/api/v1/runs?limit=25");
        check(r.status === 200 && Array.isArray(r.json.data), `${r.status}: ${short(r.json)}`);
      } else if (variant === 1) {
        const r = await call("GET", "/api/v1/runs?workflow=greet&status=succeeded&limit=20");
        check(r.status === 200 && r.json.data.every((x: any) => x.status === "succeeded"), `${r.status}: ${short(r.json)}`);
        if (r.json.next_cursor) {
          const next = await call("GET", `/api/v1/runs?workflow=greet&status=succeeded&limit=20&cursor=${encodeURIComponent(r.json.next_cursor)}`);
          check(next.status === 200 && Array.isArray(next.json.data), `next page ${next.status}: ${short(next.json)}`);
          const seen = new Set(r.json.data.map((x: any) => x.id));
          check(next.json.data.every((x: any) => !seen.has(x.id)), "the next page repeats runs of the first");
        }
      } else if (variant === 2) {
        const r = await call("GET", `/api/v1/runs?q=${encodeURIComponent(`soak ${Math.max(1, counter - 50)}`)}&limit=10`);
        check(r.status === 200 && Array.isArray(r.json.data), `${r.status}: ${short(r.json)}`);
      } else if (variant === 3) {
        const r = await call("GET", "/api/v1/runs?origin=dify&limit=25");
        check(r.status === 200 && r.json.data.every((x: any) => x.origin === "dify"), `${r.status}: ${short(r.json)}`);
      } else if (variant === 4 && known.length) {
        const id = known[Math.floor(Math.random() * known.length)];
        const r = await call("GET", `/api/v1/runs/${id}`);
        check(r.status === 200 && r.json.id === id && r.json.status === "succeeded", `${r.status}: ${short(r.json)}`);
      } else {
        const r = await call("GET", `/api/v1/runs?status=cancelled&limit=25`);
        check(r.status === 200 && r.json.data.every((x: any) => x.status === "cancelled"), `${r.status}: ${short(r.json)}`);
      }
    });
    await sleep(100);
  },

  async compat() {
    await op("dify run", async () => {
      const name = `dify ${++counter}`;
      const r = await call("POST", "/v1/workflows/run", { headers: difyAuth, body: { inputs: { name }, response_mode: "blocking", user: "soak" } });
      check(r.status === 200, `${r.status}: ${short(r.json)}`);
      accepted.set(r.json.workflow_run_id, "succeeded");
      check(r.json.data?.status === "succeeded" && r.json.data.outputs?.greeting === `HELLO, ${name.toUpperCase()}!`, `unexpected ${short(r.json)}`);
      const s = await call("GET", `/v1/workflows/run/${r.json.workflow_run_id}`, { headers: difyAuth });
      check(s.status === 200 && s.json.status === "succeeded", `status route ${s.status}: ${short(s.json)}`);
    });
    await sleep(500);
  },

  async upload() {
    await op("upload + document run", async () => {
      const words = 50 + Math.floor(Math.random() * 2000);
      const text = Array.from({ length: words }, () => randomBytes(3).toString("hex")).join(" ");
      const form = new FormData();
      form.append("file", new Blob([text], { type: "text/plain" }), `soak-${++counter}.txt`);
      const up = await call("POST", "/api/v1/files", { form });
      check(up.status === 201 && up.json.id, `upload ${up.status}: ${short(up.json)}`);
      const r = await call("POST", "/api/v1/workflows/document-stats/runs", { body: { inputs: { document: up.json.id }, response_mode: "blocking" } });
      check(r.status === 200, `run ${r.status}: ${short(r.json)}`);
      accepted.set(r.json.id, "succeeded");
      check(r.json.status === "succeeded" && r.json.outputs?.stats?.words === words, `unexpected ${short({ status: r.json.status, outputs: r.json.outputs, error: r.json.error })}`);
    });
    await sleep(500);
  },
};

// ---- Memory sampling
interface Sample { t: number; rssKb: number; cpuMs: number }
const samples = new Map<string, Sample[]>(watched.map((c) => [c.name, []]));
const t0 = Date.now();
const sampleAll = () => {
  for (const c of watched) {
    const s = procStats(c.pid);
    if (s) samples.get(c.name)!.push({ t: Date.now() - t0, rssKb: s.rssKb, cpuMs: s.cpuMs });
    else fail("process", `${c.name} is gone`);
  }
};
sampleAll();
const sampler = setInterval(sampleAll, SAMPLE_MS);

// Diagnostics: FLOWDECK_BENCH_SNAPSHOT_AT_S=120,540 sends SIGUSR2 to the watched processes at
// those times (heap snapshots when they run with FLOWDECK_BENCH_WEB_FLAGS="--heapsnapshot-signal=SIGUSR2
// --diagnostic-dir=…"; the worker takes FLOWDECK_BENCH_WORKER_FLAGS).
for (const at of (process.env.FLOWDECK_BENCH_SNAPSHOT_AT_S ?? "").split(",").filter(Boolean)) {
  setTimeout(() => watched.forEach((c) => c.proc.kill("SIGUSR2")), Number(at) * 1000).unref();
}

// ---- Run
const loadBefore = loadAverage();
console.log(`soak on ${db.kind}${pg ? " (web in worker mode + 1 worker process)" : " (one server, runs inline)"}: ${MINUTES} min, ${LANES} lane(s) of each kind; load average ${loadBefore}`);
const deadline = t0 + MINUTES * 60_000;
const progress = setInterval(() => {
  const rss = watched.map((c) => `${c.name} ${((samples.get(c.name)!.at(-1)?.rssKb ?? 0) / 1024).toFixed(0)} MB`).join(", ");
  const total = [...kinds.values()].reduce((n, s) => n + s.requests, 0);
  console.log(`  ${((Date.now() - t0) / 60_000).toFixed(1)} min: ${total} requests, ${errorCount} errors, ${accepted.size} runs; RSS ${rss}; load ${loadAverage()}`);
}, 60_000);
await Promise.all(
  Object.values(loads).flatMap((load) => Array.from({ length: LANES }, async () => {
    while (Date.now() < deadline) await load();
  })),
);
clearInterval(progress);
const endedAt = Date.now();
const loadAfter = loadAverage();

// ---- The account: lost, stuck, wrong status, event logs
const ids = [...accepted.keys()];
let lost: string[] = [];
let notFinal: string[] = [];
const wrong: string[] = [];
for (;;) {
  const rows = [];
  for (let i = 0; i < ids.length; i += 5000) {
    rows.push(...(await prisma.run.findMany({ where: { uuid: { in: ids.slice(i, i + 5000) } }, select: { uuid: true, status: true, errorCode: true } })));
  }
  const byUuid = new Map(rows.map((r) => [r.uuid, r]));
  lost = ids.filter((id) => !byUuid.has(id));
  notFinal = rows.filter((r) => !["succeeded", "failed", "cancelled"].includes(r.status)).map((r) => `${r.uuid}:${r.status}`);
  if (notFinal.length === 0 || Date.now() - endedAt > STUCK_AFTER_MS) {
    for (const r of rows) {
      const want = accepted.get(r.uuid);
      if (["succeeded", "failed", "cancelled"].includes(r.status) && r.status !== want) wrong.push(`${r.uuid}: ${r.status}${r.errorCode ? ` (${r.errorCode})` : ""}, expected ${want}`);
    }
    break;
  }
  await sleep(1000);
}
const stuckAnywhere = await prisma.run.count({ where: { status: { in: ["queued", "running"] } } });
const allRuns = await prisma.run.findMany({ select: { id: true, lastSeq: true } });
const logs = await prisma.runEvent.groupBy({ by: ["runId"], _count: { _all: true }, _max: { seq: true }, _min: { seq: true } });
const finishes = await prisma.runEvent.groupBy({ by: ["runId"], where: { type: "run_finished" }, _count: { _all: true } });
const logOf = new Map(logs.map((l) => [l.runId, l]));
const finishesOf = new Map(finishes.map((f) => [f.runId, f._count._all]));
const badLogs: string[] = [];
for (const r of allRuns) {
  const l = logOf.get(r.id);
  const ok = l && l._min.seq === 1 && l._max.seq === r.lastSeq && l._count._all === r.lastSeq && finishesOf.get(r.id) === 1;
  if (!ok) badLogs.push(`run ${r.id}: ${l ? `${l._count._all} events, seq ${l._min.seq}..${l._max.seq}` : "no events"}, lastSeq ${r.lastSeq}, ${finishesOf.get(r.id) ?? 0} run_finished`);
}
clearInterval(sampler);
sampleAll();

// ---- Memory
interface Growth { name: string; baselineMb: number; lastMb: number; growthPct: number; perMinute: string; heap: string }
const minutes = MINUTES;
const [baseFrom, baseTo, lastFrom] = minutes >= 3
  ? [60_000, 120_000, (minutes - 1) * 60_000]
  : [(minutes * 60_000) / 3, (2 * minutes * 60_000) / 3, (2 * minutes * 60_000) / 3];
const lastTo = minutes * 60_000 + 1;
function growthOf(name: string, probeFile: string): Growth {
  const s = samples.get(name)!;
  const between = (a: number, b: number) => s.filter((x) => x.t >= a && x.t < b).map((x) => x.rssKb / 1024);
  const baselineMb = median(between(baseFrom, baseTo));
  const lastMb = median(between(lastFrom, lastTo));
  const perMinute = Array.from({ length: Math.ceil(minutes) }, (_, m) => median(between(m * 60_000, (m + 1) * 60_000)).toFixed(0)).join(" ");
  const probe = readMemProbe(probeFile).map((p) => ({ t: p.t - t0, heapMb: p.heapUsed / 1048576 }));
  const heapBetween = (a: number, b: number) => median(probe.filter((p) => p.t >= a && p.t < b).map((p) => p.heapMb));
  const heapBase = heapBetween(baseFrom, baseTo);
  const heapLast = heapBetween(lastFrom, lastTo);
  const heapPerMinute = Array.from({ length: Math.ceil(minutes) }, (_, m) => heapBetween(m * 60_000, (m + 1) * 60_000).toFixed(0)).join(" ");
  return {
    name, baselineMb, lastMb, growthPct: ((lastMb - baselineMb) / baselineMb) * 100, perMinute,
    heap: `live heap after GC ${heapBase.toFixed(1)} → ${heapLast.toFixed(1)} MB (${(((heapLast - heapBase) / heapBase) * 100).toFixed(1)}%), per minute: ${heapPerMinute}`,
  };
}
const growth = watched.map((c) => growthOf(c.name, c === web ? webProbe : workerProbe));
const serverErrors = watched.flatMap((c) => c.errorLines.map((l) => `${c.name}: ${l}`));

// ---- Summary
const seconds = (endedAt - t0) / 1000;
console.log(`\nsoak on ${db.kind}, ${new Date().toISOString().slice(0, 10)}: ${(seconds / 60).toFixed(1)} min of load; load average ${loadBefore} → ${loadAfter}`);
console.log("| kind | operations | errors | p50 | p99 |\n|---|---|---|---|---|");
for (const [kind, s] of kinds) {
  const ms = [...s.ms].sort((a, b) => a - b);
  console.log(`| ${kind} | ${s.requests} | ${s.errors} | ${ms.length ? `${pct(ms, 0.5).toFixed(1)} ms` : "—"} | ${ms.length ? `${pct(ms, 0.99).toFixed(1)} ms` : "—"} |`);
}
const finals = await prisma.run.groupBy({ by: ["status"], _count: { _all: true } });
console.log(`runs accepted: ${accepted.size} (${(accepted.size / seconds).toFixed(1)}/s); in the database by status: ${finals.map((f) => `${f.status} ${f._count._all}`).join(", ")}`);
console.log(`lost: ${lost.length}; stuck (not ended ${STUCK_AFTER_MS / 1000} s after the load stopped): ${notFinal.length} (queued/running in the whole database: ${stuckAnywhere}); wrong final status: ${wrong.length}; event logs with gaps or without exactly one run_finished: ${badLogs.length} of ${allRuns.length}`);
for (const g of growth) {
  const last = samples.get(g.name)!;
  const cpu = (last.at(-1)!.cpuMs - last[0].cpuMs) / 1000;
  console.log(`${g.name}: RSS median ${minutes >= 3 ? "minute 2" : "second third"} ${g.baselineMb.toFixed(0)} MB → ${minutes >= 3 ? "last minute" : "last third"} ${g.lastMb.toFixed(0)} MB (${g.growthPct >= 0 ? "+" : ""}${g.growthPct.toFixed(1)}%); per-minute medians (MB): ${g.perMinute}; CPU ${cpu.toFixed(0)} s (${((cpu / seconds) * 100).toFixed(0)}% of a core)`);
  console.log(`  ${g.heap}`);
}
const problems = [
  ...errors,
  ...serverErrors.slice(0, 20),
  ...lost.slice(0, 10).map((id) => `lost: ${id}`),
  ...notFinal.slice(0, 10).map((x) => `stuck: ${x}`),
  ...wrong.slice(0, 10).map((x) => `wrong status: ${x}`),
  ...badLogs.slice(0, 10).map((x) => `event log: ${x}`),
  ...growth.filter((g) => !(g.growthPct < 10)).map((g) => `${g.name}: memory grew ${g.growthPct.toFixed(1)}%`),
];
const failed = errorCount > 0 || serverErrors.length > 0 || lost.length > 0 || notFinal.length > 0 || stuckAnywhere > 0 || wrong.length > 0 || badLogs.length > 0 || growth.some((g) => !(g.growthPct < 10));
console.log(failed ? `FAILED (${problems.length} problem lines):\n  ${problems.slice(0, 80).join("\n  ")}` : "PASSED: zero errors, zero lost or stuck runs, memory flat");

await agent.close();
for (const c of [...watched].reverse()) await c.stop();
await llm.stop();
await prisma.$disconnect();
await db.drop();
process.exit(failed ? 1 : 0);
