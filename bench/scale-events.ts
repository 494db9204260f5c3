/**
 * Live-event latency across processes on PostgreSQL. A writer process appends a run's
 * events through the real RunEventWriter, each stamped with its append time; a separate
 * web process streams the run over SSE; this process reads the stream and takes, per
 * event, receive time − append time (same machine, same clock). Also the bus hop alone:
 * notifyRunEvents in one process → a subscriber in another (no database writes).
 *
 *   npx tsx bench/scale-events.ts [--server=auto|next|sse] [--events=1000]
 *
 * The web process: `next` is the real server (scripts/server.ts on a random port,
 * /api/v1/runs/{id}/events with an API key); it needs a current `npm run build` (one
 * that contains the event bus). `sse` is bench/sse-process.ts: the same SSE response and
 * follower in a plain Node server (no routing or auth). `auto` takes `next` when the build
 * is current. Uses a fresh database on FLOWDECK_BENCH_PG_URL (or FLOWDECK_TEST_PG_URL, or
 * the local default), dropped at the end.
 *
 * bench/scale.ts may import runEventLatencyBench() with DATABASE_URL already set to a
 * migrated PostgreSQL database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const now = () => performance.timeOrigin + performance.now();

export interface LatencyFigures {
  scenario: string;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** In the writer process, append → committed (p50/p99): the part before the bus. */
  commitP50?: number;
  commitP99?: number;
  /** Per event, committed (announced in the writer) → received over SSE: the part after. */
  deliveryP50?: number;
  deliveryP99?: number;
  /** Notifications the writer sent (NOTIFY payloads) and in how many queries. */
  notifications?: number;
  publishQueries?: number;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];
function figures(scenario: string, samples: number[], extra: Partial<LatencyFigures> = {}): LatencyFigures {
  const xs = [...samples].sort((a, b) => a - b);
  return { scenario, samples: xs.length, p50: pct(xs, 0.5), p99: pct(xs, 0.99), max: xs[xs.length - 1], ...extra };
}

/** A child process that prints JSON lines; resolves each wanted line. */
function startChild(args: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: root, env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const lines: Record<string, unknown>[] = [];
  const waiting: [(l: Record<string, unknown>) => boolean, (l: Record<string, unknown>) => void][] = [];
  createInterface({ input: proc.stdout! }).on("line", (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      line = { text };
    }
    lines.push(line);
    for (const w of [...waiting]) if (w[0](line)) waiting.splice(waiting.indexOf(w), 1), w[1](line);
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", resolve));
  const waitFor = (test: (l: Record<string, unknown>) => boolean, ms = 120_000) =>
    Promise.race([
      new Promise<Record<string, unknown>>((resolve) => {
        const seen = lines.find(test);
        if (seen) resolve(seen);
        else waiting.push([test, resolve]);
      }),
      exited.then((code) => Promise.reject(new Error(`${args[0]} exited (${code}); stderr:\n${stderr.slice(-2000)}`))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${args[0]}: timed out; stderr:\n${stderr.slice(-2000)}`)), ms).unref()),
    ]);
  return { proc, waitFor, exited };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Whether .next holds a build whose server code includes the cross-process bus. */
function buildHasEventBus(): boolean {
  const dir = path.join(root, ".next/server");
  if (!existsSync(path.join(root, ".next/BUILD_ID")) || !existsSync(dir)) return false;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith(".js") && statSync(p).size < 20_000_000 && readFileSync(p, "utf8").includes("flowdeck_bus")) return true;
    }
  }
  return false;
}

/** Reads an SSE stream; calls onFrame(frame, receivedAt) per event; resolves at run_finished. */
async function readSse(url: string, headers: Record<string, string>, onFrame: (f: { seq: number; type: string; data: Record<string, unknown> }, at: number) => void, ready: () => void): Promise<void> {
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  if (!res.ok || !res.body) throw new Error(`SSE ${url}: ${res.status} ${await res.text()}`);
  ready();
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body.getReader();
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) break;
    const at = now();
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      if (!data) continue;
      const frame = JSON.parse(data.slice(6));
      onFrame(frame, at);
      if (frame.type === "run_finished") return;
    }
  }
  throw new Error("the stream ended before run_finished");
}

export interface EventLatencyOptions {
  server?: "auto" | "next" | "sse";
  /** Events of the paced scenarios (the burst writes 5000). */
  events?: number;
  log?: (line: string) => void;
}

/**
 * The latency scenarios on the database in DATABASE_URL (PostgreSQL, migrated). Starts and
 * stops its own web and writer processes.
 */
export async function runEventLatencyBench(opts: EventLatencyOptions = {}): Promise<{
  server: "next" | "sse";
  results: LatencyFigures[];
  /** ms for 2000 NOTIFYs one statement each, 2000 in one statement, 2000 SELECT 1. */
  notify?: { single: number; batched: number; select: number };
}> {
  const log = opts.log ?? console.log;
  const events = opts.events ?? 1000;
  const dbUrl = process.env.DATABASE_URL ?? "";
  if (!/^postgres(ql)?:\/\//.test(dbUrl)) throw new Error("runEventLatencyBench needs DATABASE_URL=postgres://…");

  const { db } = await import("../lib/db/client");
  const { seedDemo } = await import("../lib/services/demo-seed");
  const { getActorForUser } = await import("../lib/services/users");
  const { insertRun } = await import("../lib/services/run-store");
  const { createApiKey } = await import("../lib/services/api-keys");
  const bus = await import("../lib/events/run-event-bus");

  await seedDemo();
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@flowdeck.local" } });
  const actor = await getActorForUser(user.id, "demo");
  const wf = await db.workflow.findFirstOrThrow({ where: { workspaceId: actor.workspaceId, name: "greet" } });
  const version = await db.workflowVersion.findFirstOrThrow({ where: { workflowId: wf.id }, orderBy: { number: "desc" } });
  const newRun = () => insertRun({
    workspaceId: actor.workspaceId, workflowId: wf.id, versionId: version.id, versionNumber: version.number, label: null,
    status: "running", origin: "api", externalId: null, metadata: "{}", totalSteps: 1, createdById: null, apiKeyId: null,
    parentRunId: null, leaseOwner: "bench-writer", leaseExpiresAt: new Date(Date.now() + 3_600_000), inputs: "{}",
  });

  const env = { ...process.env, DATABASE_URL: dbUrl, FLOWDECK_SECRET_KEY: process.env.FLOWDECK_SECRET_KEY ?? "bench" };
  let server: "next" | "sse" = opts.server === "next" || opts.server === "sse" ? opts.server : buildHasEventBus() ? "next" : "sse";
  if (opts.server === "auto" || !opts.server) {
    log(server === "next" ? "web process: the production server (scripts/server.ts)" : "web process: bench/sse-process.ts (the .next build is missing or predates the event bus)");
  }
  let web: ReturnType<typeof startChild>;
  let eventsUrl: (run: { id: number; uuid: string }) => string;
  let headers: Record<string, string> = {};
  if (server === "next") {
    const port = await freePort();
    web = startChild(["scripts/server.ts"], { ...env, PORT: String(port), HOST: "127.0.0.1", FLOWDECK_DEMO: "off" });
    await web.waitFor((l) => typeof l.text === "string" && l.text.includes("ready on"));
    const key = await createApiKey(actor, { name: "bench", role: "admin" });
    headers = { authorization: `Bearer ${key.key}` };
    eventsUrl = (run) => `http://127.0.0.1:${port}/api/v1/runs/${run.uuid}/events`;
  } else {
    web = startChild(["bench/sse-process.ts"], env);
    const ready = await web.waitFor((l) => l.ready === true);
    eventsUrl = (run) => `http://127.0.0.1:${ready.port}/runs/${run.id}/events`;
  }

  const results: LatencyFigures[] = [];
  let notify: { single: number; batched: number; select: number } | undefined;
  try {
    /** One run written by a writer process, streamed by `viewers` SSE clients. */
    const scenario = async (name: string, count: number, everyMs: number, viewers: number) => {
      const run = await newRun();
      const samples: number[] = [];
      const received: [seq: number, at: number][] = [];
      let connected = 0;
      let onConnected!: () => void;
      const connectedAll = new Promise<void>((r) => (onConnected = r));
      const streams = Array.from({ length: viewers }, () => {
        let expected = 1;
        return readSse(eventsUrl(run), headers, (frame, at) => {
          if (frame.seq !== expected++) throw new Error(`gap: got seq ${frame.seq}, expected ${expected - 1}`);
          samples.push(at - Number(frame.data.sentAt));
          received.push([frame.seq, at]);
        }, () => ++connected === viewers && onConnected());
      });
      await connectedAll;
      await new Promise((r) => setTimeout(r, 200)); // the followers' first (empty) reads
      const writer = startChild(["lib/events/test-bus-child.ts", "write", String(run.id), String(actor.workspaceId), String(count), "0", String(everyMs)], env);
      await Promise.all(streams);
      const done = await writer.waitFor((l) => l.done === true);
      await writer.exited;
      const committedAt = done.committedAt as number[];
      const delivery = figures("", received.map(([seq, at]) => at - committedAt[seq - 1]));
      const f = figures(name, samples, {
        notifications: done.notificationsSent as number, publishQueries: done.publishQueries as number,
        commitP50: done.commitP50 as number, commitP99: done.commitP99 as number,
        deliveryP50: delivery.p50, deliveryP99: delivery.p99,
      });
      results.push(f);
      log(`${name}: p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, max ${f.max.toFixed(1)} ms (${f.samples} events received; ` +
        `append → committed in the writer p50 ${f.commitP50!.toFixed(2)} ms, p99 ${f.commitP99!.toFixed(2)} ms; ` +
        `committed → received p50 ${f.deliveryP50!.toFixed(2)} ms, p99 ${f.deliveryP99!.toFixed(2)} ms; writer sent ${f.notifications} NOTIFYs in ${f.publishQueries} queries)`);
    };

    /** The bus hop alone: a notification from the writer process to a subscriber here. */
    const hop = async (count: number, everyMs: number) => {
      await bus.startEventBus();
      const samples: number[] = [];
      const runId = 2_000_000_000;
      let finish!: () => void;
      const finished = new Promise<void>((r) => (finish = r));
      const off = bus.subscribeRunEvents(runId, (seq, ended) => {
        if (Number.isFinite(seq)) samples.push(now() - seq / 1000);
        if (ended) finish();
      });
      const pinger = startChild(["lib/events/test-bus-child.ts", "ping", String(runId), String(count), String(everyMs)], env);
      await finished;
      off();
      await pinger.exited;
      await bus.stopEventBus();
      const f = figures(`bus hop (notify → subscriber in another process), 1 every ${everyMs} ms`, samples);
      results.push(f);
      log(`${f.scenario}: p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, max ${f.max.toFixed(1)} ms (${f.samples})`);
    };

    /** What coalescing saves: NOTIFYs one statement each vs many in one statement. */
    const notifyCost = async (n: number) => {
      const { Client } = await import("pg");
      const c = new Client({ connectionString: dbUrl });
      await c.connect();
      const time = async (fn: () => Promise<unknown>) => {
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };
      const payloads = Array.from({ length: n }, (_, i) => `{"o":"bench","r":[[${i},${i},0]]}`);
      const select = await time(async () => { for (let i = 0; i < n; i++) await c.query("SELECT 1"); });
      const single = await time(async () => { for (const p of payloads) await c.query("SELECT pg_notify('flowdeck_bench', $1)", [p]); });
      const batched = await time(() => c.query("SELECT pg_notify('flowdeck_bench', p) FROM unnest($1::text[]) AS p", [payloads]));
      await c.end();
      log(`NOTIFY cost: ${n} NOTIFY statements ${single.toFixed(1)} ms (${(single / n).toFixed(3)} ms each; a bare SELECT 1 costs ${(select / n).toFixed(3)} ms), ` +
        `the same ${n} in one statement ${batched.toFixed(1)} ms`);
      return { single, batched, select };
    };

    await scenario("warm-up", 200, 2, 1);
    results.length = 0;
    notify = await notifyCost(2000);
    await hop(1000, 2);
    await scenario(`paced: 1 event / 5 ms, 1 viewer`, events, 5, 1);
    await scenario(`paced: 1 event / 5 ms, 20 viewers`, events, 5, 20);
    await scenario(`burst: 5000 chunks as fast as written, 1 viewer`, 5000, 0, 1);
  } finally {
    web.proc.kill("SIGTERM");
    await Promise.race([web.exited, new Promise((r) => setTimeout(r, 6_000))]);
    web.proc.kill("SIGKILL");
  }
  return { server, results, notify };
}

// Run directly: a fresh database, the scenarios, a summary.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  process.env.FLOWDECK_SECRET_KEY ??= "bench";
  if (process.env.FLOWDECK_BENCH_PG_URL) process.env.FLOWDECK_TEST_PG_URL = process.env.FLOWDECK_BENCH_PG_URL;
  const { createTestPgDatabase } = await import("../lib/db/test-database");
  const database = await createTestPgDatabase();
  process.env.DATABASE_URL = database.url;
  try {
    const { server, results, notify } = await runEventLatencyBench({
      server: (arg("server") as EventLatencyOptions["server"]) ?? "auto",
      events: Number(arg("events") ?? 1000),
    });
    console.log(`\nweb process: ${server}; ${new Date().toISOString().slice(0, 10)}`);
    if (notify) console.log(`2000 NOTIFYs: ${notify.single.toFixed(0)} ms one statement each, ${notify.batched.toFixed(1)} ms in one (2000 × SELECT 1: ${notify.select.toFixed(0)} ms)`);
    console.log("| scenario | events | committed → SSE p50 / p99 | append → SSE p50 / p99 (max) | append → committed p50 / p99 | NOTIFYs (queries) |\n|---|---|---|---|---|---|");
    const ms = (x?: number) => (x == null ? "—" : `${x.toFixed(2)} ms`);
    for (const r of results) {
      const pair = (a?: number, b?: number) => (a == null ? "—" : `${ms(a)} / ${ms(b)}`);
      const hop = r.commitP50 == null; // the bus hop has one figure only
      console.log(`| ${r.scenario} | ${r.samples} | ${hop ? `${pair(r.p50, r.p99)} (max ${ms(r.max)})` : pair(r.deliveryP50, r.deliveryP99)} | ` +
        `${hop ? "—" : `${pair(r.p50, r.p99)} (${ms(r.max)})`} | ${pair(r.commitP50, r.commitP99)} | ${r.notifications ?? "—"}${r.publishQueries != null ? ` (${r.publishQueries})` : ""} |`);
    }
  } finally {
    const { db } = await import("../lib/db/client");
    await db.$disconnect();
    await database.drop({ force: true });
  }
  process.exit(0);
}
