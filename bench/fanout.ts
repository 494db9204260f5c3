/**
 * Fan-out: many SSE viewers on one run that streams thousands of text chunks. Every viewer
 * must get every event exactly once, in order, through run_finished; per text chunk it
 * takes the delivery latency = arrival here − the event's own `at` (stamped when the
 * executor appended it, same machine and clock), and prints p50/p99/max with the CPU and
 * memory of the server processes.
 *
 *   npx tsx bench/fanout.ts [--db=sqlite|postgresql] [--viewers=200] [--chunks=5000]
 *                           [--chunk-ms=5] [--webs=1,2] [--web=next|sse] [--mem-probe]
 *                           [--late=0 --late-after=10]
 *
 * The run: one `llm` step against the fake OpenAI-compatible server (scripts/fake-openai.ts,
 * its own process) that streams --chunks tokens, one every --chunk-ms. Its provider URL is a
 * gate in this process that holds the request until every viewer is connected, so all of
 * them watch the stream live (none replays it). Viewers: GET /api/v1/runs/{id}/events with an API
 * key (undici, one connection each).
 *
 * SQLite: one production server (scripts/server.ts, runs inline). PostgreSQL: the scale-out
 * shape — web process(es) in worker mode plus one worker process (scripts/worker.ts), so
 * every event crosses processes through LISTEN/NOTIFY; --webs=1,2 runs it with all viewers
 * on one web process, then split over two. Each scenario starts fresh processes on the same
 * database. Without --db it runs SQLite, then PostgreSQL (a child process each).
 * The server is never rebuilt (FLOWDECK_NO_BUILD=1): it serves the current .next build.
 * --web=sse (PostgreSQL): the web processes are bench/sse-web.ts instead — the streaming path
 * of the current sources behind Next.js's own response pipe, no build needed; runs are then
 * started through the runs service from this process (the worker executes them).
 */
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { Agent, request } from "undici";
import {
  arg, loadAverage, nowMs, openBenchDatabase, pct, procStats, readMemProbe, root, seedBenchWorkspace, serverEnv, SseFrames, sleep,
  startFakeLlm, startWeb, startWorkerProcess, type Child, type DbKind, type ProcStats,
} from "./load-kit";

const VIEWERS = Number(arg("viewers") ?? 200);
const CHUNKS = Number(arg("chunks") ?? 5000);
const CHUNK_MS = Number(arg("chunk-ms") ?? 5);
const dbArg = arg("db") as DbKind | undefined;
/** --mem-probe: sample the web processes' heap every second (bench/mem-probe.mjs) and print the peaks. */
const MEM_PROBE = process.argv.includes("--mem-probe");
/** --late=N: N more viewers join --late-after=S seconds into the stream and replay it from the start. */
const LATE = Number(arg("late") ?? 0);
const LATE_AFTER_S = Number(arg("late-after") ?? 10);
const WEB = (arg("web") ?? "next") as "next" | "sse";
if (WEB === "sse" && dbArg === "sqlite") throw new Error("--web=sse needs PostgreSQL (the runs are executed by a worker process)");

interface ProcFigures { name: string; cpuPct: number; cpuMs: number; rssMbBefore: number; rssMbPeak: number; rssMbAfter: number }
interface ScenarioResult {
  db: DbKind;
  web: "next" | "sse";
  webs: number;
  viewers: number;
  viewersOk: number;
  problems: string[];
  eventsPerViewer: number;
  textChunks: number;
  connectedBeforeFirstChunk: number;
  /** Viewers that joined part-way (--late), how many got everything, and how long after the last live viewer the last of them finished (s). */
  late: number;
  lateOk: number;
  lateBehindS: number;
  /** First text chunk appended → last viewer got run_finished (s). */
  streamSeconds: number;
  /** First → last text chunk appended by the executor (s). */
  produceSeconds: number;
  latency: { p50: number; p90: number; p99: number; max: number; samples: number };
  procs: ProcFigures[];
  clientCpuPct: number;
  loadBefore: string;
  loadAfter: string;
}

// ---- Without --db: one child per database, then one table.
if (!dbArg) {
  const results: ScenarioResult[] = [];
  for (const db of ["sqlite", "postgresql"] as const) {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench/fanout.ts"), `--db=${db}`, ...process.argv.slice(2)], {
      cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, FLOWDECK_BENCH_CHILD: "1" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      process.stdout.write(d);
    });
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    for (const line of out.split("\n")) if (line.startsWith("RESULT ")) results.push(JSON.parse(line.slice(7)));
    if (code !== 0) process.exitCode = 1;
  }
  printTable(results);
  process.exit(process.exitCode ?? 0);
}

function printTable(results: ScenarioResult[]): void {
  console.log(`\n${new Date().toISOString().slice(0, 10)}: ${VIEWERS} viewers, ${CHUNKS} text chunks, one every ${CHUNK_MS} ms from the provider`);
  console.log("| database | web processes | viewers complete & in order | events each | latency p50 | p90 | p99 | max | stream (produce) | web CPU | web RSS before → peak | worker CPU | client CPU | load avg |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const webs = r.procs.filter((p) => p.name.startsWith("web"));
    const worker = r.procs.find((p) => p.name === "worker");
    console.log(
      `| ${r.db}${r.web === "sse" ? " (sse-web)" : ""} | ${r.webs} | ${r.viewersOk}/${r.viewers} | ${r.eventsPerViewer} | ${r.latency.p50.toFixed(1)} ms | ${r.latency.p90.toFixed(1)} ms | ` +
      `${r.latency.p99.toFixed(1)} ms | ${r.latency.max.toFixed(0)} ms | ${r.streamSeconds.toFixed(1)} s (${r.produceSeconds.toFixed(1)} s) | ` +
      `${webs.map((p) => `${p.cpuPct.toFixed(0)}%`).join(" + ")} | ${webs.map((p) => `${p.rssMbBefore.toFixed(0)} → ${p.rssMbPeak.toFixed(0)} MB`).join(", ")} | ` +
      `${worker ? `${worker.cpuPct.toFixed(0)}%` : "—"} | ${r.clientCpuPct.toFixed(0)}% | ${r.loadBefore.split(" ")[0]} → ${r.loadAfter.split(" ")[0]} |`,
    );
  }
}

// ---- One database.
const db = await openBenchDatabase(dbArg);
const llm = await startFakeLlm(CHUNK_MS);
const workflows = {
  fanout: {
    inputs: [{ name: "tokens", type: "number", default: CHUNKS }],
    steps: [
      { id: "answer", kind: "llm", timeout_ms: 600_000, config: { provider: "gated", prompt: "tokens:{{ inputs.tokens }}" } },
    ],
    outputs: { length: "{{ steps.answer.output.usage.completion_tokens }}" },
  },
  warm: {
    inputs: [{ name: "tokens", type: "number", default: 20 }],
    steps: [{ id: "answer", kind: "llm", config: { prompt: "tokens:{{ inputs.tokens }}" } }],
    outputs: { text: "{{ steps.answer.output.text }}" },
  },
};
const ws = await seedBenchWorkspace({ llmUrl: llm.url, workflows });
const gate = await startGate(new URL(llm.url).origin);
{
  const { setSecret } = await import("../lib/services/secrets");
  const { FAKE_OPENAI_API_KEY } = await import("../scripts/fake-openai");
  await setSecret(ws.actor, "gated", JSON.stringify({ base_url: `${gate.origin}/v1`, api_key: FAKE_OPENAI_API_KEY, model: "fake-gpt" }));
}
const { db: prisma } = await import("../lib/db/client");
await prisma.$disconnect();
if (WEB === "sse") process.env.FLOWDECK_EXECUTOR = "worker"; // this process stores and enqueues, the worker runs

const agent = new Agent({ connections: null, pipelining: 1, bodyTimeout: 0, headersTimeout: 120_000, keepAliveTimeout: 60_000 });
const auth = { authorization: `Bearer ${ws.key}` };

async function postJson(base: string, urlPath: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`${base}${urlPath}`, {
    dispatcher: agent, method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return { status: res.statusCode, json: await res.body.json() };
}

/**
 * A pass-through to the fake provider that holds each request while closed (the fanout
 * run's stream starts only once every viewer is connected).
 */
async function startGate(target: string) {
  let release: () => void = () => {};
  let opened: Promise<void> = Promise.resolve();
  const server = http.createServer((req, res) => {
    void opened.then(() => {
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close() {
      opened = new Promise<void>((r) => (release = r));
    },
    open() {
      release();
    },
  };
}

/** Starts a run (through the API, or with --web=sse through the runs service); its id. */
async function startRunVia(base: string, workflow: string, tokens: number, mode: "blocking" | "async"): Promise<string> {
  if (WEB === "sse") {
    const { startRun } = await import("../lib/services/runs");
    return (await startRun(ws.actor, { workflow, label: "production", inputs: { tokens }, origin: "api" })).uuid;
  }
  const r = await postJson(base, `/api/v1/workflows/${workflow}/runs`, { inputs: { tokens }, response_mode: mode });
  if (r.status !== (mode === "async" ? 202 : 200)) throw new Error(`start ${workflow}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  return r.json.id;
}

async function runStatus(base: string, runId: string): Promise<{ status: string }> {
  if (WEB === "sse") return prisma.run.findUniqueOrThrow({ where: { uuid: runId }, select: { status: true } });
  const detail = await request(`${base}/api/v1/runs/${runId}`, { dispatcher: agent, headers: auth });
  return (await detail.body.json()) as { status: string };
}

/** One viewer: reads the run's SSE to run_finished, checking seqs 1, 2, 3… */
interface Viewer {
  connectedAt: number;
  firstChunkAt: number;
  events: number;
  chunks: number;
  finishedAt: number;
  problem: string | null;
}

async function view(
  base: string, runId: string, latencies: Float64Array, cursor: { n: number }, onChunk: (at: number) => void, onConnected = () => {},
): Promise<Viewer> {
  const v: Viewer = { connectedAt: 0, firstChunkAt: 0, events: 0, chunks: 0, finishedAt: 0, problem: null };
  let expected = 1;
  let finished = false;
  const frames = new SseFrames((id, event, data) => {
    if (v.problem || finished) {
      if (finished && !v.problem) v.problem = `a frame after run_finished (seq ${id})`;
      return;
    }
    const arrived = nowMs();
    const seq = Number(id);
    if (seq !== expected) {
      v.problem = `seq ${seq} where ${expected} was due`;
      return;
    }
    expected++;
    v.events++;
    if (event === "text_chunk") {
      // The frame is JSON.stringify({seq, type, at, data}): read `at` without parsing it all.
      const i = data.indexOf('"at":"');
      const at = Date.parse(data.slice(i + 6, data.indexOf('"', i + 6)));
      if (cursor.n < latencies.length) latencies[cursor.n++] = arrived - at;
      if (!v.chunks) v.firstChunkAt = arrived;
      v.chunks++;
      onChunk(at);
    } else if (event === "run_finished") {
      finished = true;
      v.finishedAt = arrived;
    }
  });
  try {
    const res = await request(`${base}/api/v1/runs/${runId}/events`, { dispatcher: agent, headers: { ...auth, accept: "text/event-stream" } });
    v.connectedAt = nowMs();
    onConnected();
    if (res.statusCode !== 200) {
      v.problem = `HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`;
      return v;
    }
    res.body.setEncoding("utf8");
    for await (const text of res.body) frames.push(text as unknown as string);
    if (!finished && !v.problem) v.problem = `the stream ended after seq ${expected - 1} without run_finished`;
  } catch (err) {
    v.problem ??= `connection failed: ${(err as Error).message}`;
  }
  return v;
}

const mb = (kb: number) => kb / 1024;

async function scenario(webCount: number): Promise<ScenarioResult> {
  const pg = db.kind === "postgresql";
  const env = serverEnv(db, { FLOWDECK_FETCH_ALLOW: `${llm.host},${new URL(gate.origin).host}`, FLOWDECK_EXECUTOR: pg ? "worker" : "inline" });
  const webs: (Child & { url: string })[] = [];
  const probes: (string | undefined)[] = [];
  for (let i = 0; i < webCount; i++) {
    const probe = MEM_PROBE ? { memProbeFile: path.join(db.dir, `web${i}-${Date.now()}.jsonl`), memProbeMs: 1000 } : {};
    webs.push(await startWeb(env, `web${webCount > 1 ? i + 1 : ""}`, probe, WEB === "sse" ? "bench/sse-web.ts" : undefined));
    probes.push(probe.memProbeFile);
  }
  const procs: Child[] = [...webs];
  if (pg) procs.push(await startWorkerProcess(env));
  try {
    // Warm each web process (routes, auth, the SSE path) and the worker.
    for (const web of webs) {
      for (let i = 0; i < 3; i++) {
        const id = await startRunVia(web.url, "warm", 20, "blocking");
        const check = await view(web.url, id, new Float64Array(0), { n: 0 }, () => {});
        if (check.problem) throw new Error(`warm-up stream: ${check.problem}`);
      }
    }
    await sleep(500);
    const loadBefore = loadAverage();
    const before = new Map(procs.map((p) => [p.name, procStats(p.pid)!]));
    const peak = new Map(procs.map((p) => [p.name, before.get(p.name)!.rssKb]));
    const sampler = setInterval(() => {
      for (const p of procs) {
        const s = procStats(p.pid);
        if (s) peak.set(p.name, Math.max(peak.get(p.name)!, s.rssKb));
      }
    }, 250);

    gate.close();
    const runId = await startRunVia(webs[0].url, "fanout", CHUNKS, "async");
    let connected = 0;
    const gateTimer = setTimeout(gate.open, 120_000); // should all viewers not connect, stream anyway (and say so)
    const onConnected = () => {
      if (++connected === VIEWERS) {
        clearTimeout(gateTimer);
        gate.open();
      }
    };
    const latencies = new Float64Array(VIEWERS * CHUNKS);
    const cursor = { n: 0 };
    let firstAppend = Infinity;
    let lastAppend = 0;
    let atFirstChunk: Map<string, ProcStats> | null = null;
    let clientAtFirstChunk: NodeJS.CpuUsage | null = null;
    let firstChunkSeenAt = 0;
    const onChunk = (at: number) => {
      if (!atFirstChunk && process.env.FLOWDECK_BENCH_SNAPSHOT_AFTER_S) {
        // Diagnostics: a heap snapshot of each web process that far into the stream (start
        // the web with FLOWDECK_BENCH_WEB_FLAGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=…").
        setTimeout(() => webs.forEach((w) => w.proc.kill("SIGUSR2")), Number(process.env.FLOWDECK_BENCH_SNAPSHOT_AFTER_S) * 1000).unref();
      }
      if (!atFirstChunk) {
        atFirstChunk = new Map(procs.map((p) => [p.name, procStats(p.pid)!]));
        clientAtFirstChunk = process.cpuUsage();
        firstChunkSeenAt = nowMs();
        // Late viewers open the run part-way (as people opening its page do): they replay
        // from the start while the stream goes on, and must end up with everything too.
        if (LATE) {
          setTimeout(() => {
            for (let i = 0; i < LATE; i++) lateViewers.push(view(webs[i % webs.length].url, runId, new Float64Array(0), { n: 0 }, () => {}));
          }, LATE_AFTER_S * 1000).unref();
        }
      }
      if (at < firstAppend) firstAppend = at;
      if (at > lastAppend) lastAppend = at;
    };
    const lateViewers: Promise<Viewer>[] = [];
    const viewers = await Promise.all(
      Array.from({ length: VIEWERS }, (_, i) => view(webs[i % webs.length].url, runId, latencies, cursor, onChunk, onConnected)),
    );
    while (lateViewers.length < LATE) await sleep(100); // a stream shorter than --late-after
    const late = await Promise.all(lateViewers);
    const endedAt = nowMs();
    const after = new Map(procs.map((p) => [p.name, procStats(p.pid)!]));
    const clientCpu = process.cpuUsage(clientAtFirstChunk ?? undefined);
    clearInterval(sampler);
    const loadAfter = loadAverage();

    const run = await runStatus(webs[0].url, runId);
    const problems: string[] = [];
    if (run.status !== "succeeded") problems.push(`run ended ${run.status}`);
    const events = Math.max(...viewers.map((v) => v.events));
    let ok = 0;
    viewers.forEach((v, i) => {
      if (v.problem) problems.push(`viewer ${i}: ${v.problem}`);
      else if (v.chunks !== CHUNKS) problems.push(`viewer ${i}: ${v.chunks} text chunks, not ${CHUNKS}`);
      else if (v.events !== events) problems.push(`viewer ${i}: ${v.events} events, others ${events}`);
      else ok++;
    });
    let lateOk = 0;
    late.forEach((v, i) => {
      if (v.problem) problems.push(`late viewer ${i}: ${v.problem}`);
      else if (v.chunks !== CHUNKS || v.events !== events) problems.push(`late viewer ${i}: ${v.events} events, ${v.chunks} text chunks`);
      else lateOk++;
    });
    const lastLive = Math.max(...viewers.map((v) => v.finishedAt));
    const lateBehindS = late.length ? (Math.max(...late.map((v) => v.finishedAt)) - lastLive) / 1000 : 0;
    const connectedBeforeFirstChunk = viewers.filter((v) => v.connectedAt && v.connectedAt < firstAppend).length;
    const sorted = latencies.subarray(0, cursor.n).sort();
    const window = (endedAt - firstChunkSeenAt) || 1;
    const figures = procs.map((p): ProcFigures => {
      const a = atFirstChunk?.get(p.name) ?? before.get(p.name)!;
      const b = after.get(p.name)!;
      return {
        name: p.name, cpuMs: b.cpuMs - a.cpuMs, cpuPct: ((b.cpuMs - a.cpuMs) / window) * 100,
        rssMbBefore: mb(before.get(p.name)!.rssKb), rssMbPeak: mb(peak.get(p.name)!), rssMbAfter: mb(b.rssKb),
      };
    });
    for (const [i, file] of probes.entries()) {
      if (!file) continue;
      const m = readMemProbe(file);
      const peak = (k: "heapUsed" | "heapTotal" | "external" | "arrayBuffers" | "rss") => (Math.max(...m.map((x) => x[k])) / 1048576).toFixed(0);
      console.log(`  web ${i + 1} memory peaks (MB, sampled every second): rss ${peak("rss")}, heapUsed ${peak("heapUsed")}, heapTotal ${peak("heapTotal")}, external ${peak("external")}, arrayBuffers ${peak("arrayBuffers")}`);
    }
    const serverErrors = procs.flatMap((p) => p.errorLines.map((l) => `${p.name}: ${l}`));
    problems.push(...serverErrors.slice(0, 20));
    return {
      db: db.kind, web: WEB, webs: webCount, viewers: VIEWERS, viewersOk: ok, problems, eventsPerViewer: events, textChunks: CHUNKS,
      connectedBeforeFirstChunk, late: late.length, lateOk, lateBehindS,
      streamSeconds: (Math.max(...viewers.map((v) => v.finishedAt)) - firstAppend) / 1000,
      produceSeconds: (lastAppend - firstAppend) / 1000,
      latency: { p50: pct(sorted, 0.5), p90: pct(sorted, 0.9), p99: pct(sorted, 0.99), max: sorted[sorted.length - 1], samples: sorted.length },
      procs: figures, clientCpuPct: ((clientCpu.user + clientCpu.system) / 1000 / window) * 100, loadBefore, loadAfter,
    };
  } finally {
    for (const p of procs) await p.stop();
  }
}

const webCounts = db.kind === "postgresql" ? (arg("webs") ?? "1,2").split(",").map(Number) : [1];
let failed = false;
const rows: ScenarioResult[] = [];
try {
  for (const webs of webCounts) {
    const r = await scenario(webs);
    rows.push(r);
    console.log(
      `${r.db}, ${r.webs} web process(es): ${r.viewersOk}/${r.viewers} viewers got all ${r.eventsPerViewer} events in order ` +
      `(${r.connectedBeforeFirstChunk} connected before the first chunk); latency over ${r.latency.samples} chunk deliveries ` +
      `p50 ${r.latency.p50.toFixed(1)} ms, p90 ${r.latency.p90.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, max ${r.latency.max.toFixed(0)} ms; ` +
      `chunks produced in ${r.produceSeconds.toFixed(1)} s, delivered to all in ${r.streamSeconds.toFixed(1)} s`,
    );
    for (const p of r.procs) {
      console.log(`  ${p.name}: CPU ${p.cpuPct.toFixed(0)}% of a core while streaming (${(p.cpuMs / 1000).toFixed(1)} s), RSS ${p.rssMbBefore.toFixed(0)} MB before, ${p.rssMbPeak.toFixed(0)} MB peak, ${p.rssMbAfter.toFixed(0)} MB after`);
    }
    if (r.late) console.log(`  ${r.lateOk}/${r.late} late viewers (joined ${LATE_AFTER_S} s in, replaying from the start) got every event in order; the last finished ${r.lateBehindS.toFixed(1)} s after the live viewers`);
    console.log(`  this client: CPU ${r.clientCpuPct.toFixed(0)}% of a core; load average ${r.loadBefore} → ${r.loadAfter}`);
    if (r.problems.length) {
      failed = true;
      console.log(`  PROBLEMS (${r.problems.length}):\n    ${r.problems.slice(0, 20).join("\n    ")}`);
    }
    console.log(`RESULT ${JSON.stringify(r)}`);
  }
} finally {
  await agent.close();
  gate.server.close();
  await llm.stop();
  await db.drop();
}
// Run alone (--db given by hand): this database's rows as a table too.
if (!process.env.FLOWDECK_BENCH_CHILD) printTable(rows);
process.exit(failed ? 1 : 0);
