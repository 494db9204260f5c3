/**
 * Shared parts of the load benchmarks (bench/fanout.ts, bench/soak.ts): a throwaway
 * database of either kind, a seeded workspace, the production server / worker / fake LLM
 * as child processes (their CPU and memory read from /proc), and an SSE frame parser.
 *
 * Set DATABASE_URL through openBenchDatabase() before anything imports lib/db/client:
 * the services below are imported lazily for that reason.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
export const hasFlag = (name: string) => process.argv.includes(`--${name}`);

export type DbKind = "sqlite" | "postgresql";

export const pct = (sorted: ArrayLike<number>, p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
export const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 0.5);
export const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall clock in ms with sub-ms resolution (comparable with Date.parse of an event's `at`). */
export const nowMs = () => performance.timeOrigin + performance.now();

export interface BenchDatabase {
  kind: DbKind;
  url: string;
  /** Temporary folder for the data dir (uploads) and, on SQLite, the database file. */
  dir: string;
  drop(): Promise<void>;
}

/** The secret key of the bench's processes (this one encrypts the workspace secrets they read). */
const SECRET_KEY = "bench-secret-key";

/** A fresh, migrated database; sets process.env.DATABASE_URL to it. */
export async function openBenchDatabase(kind: DbKind): Promise<BenchDatabase> {
  process.env.FLOWDECK_SECRET_KEY = SECRET_KEY;
  const dir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-bench-load-"));
  if (kind === "sqlite") {
    const url = `file:${dir}/bench.db`;
    process.env.DATABASE_URL = url;
    const { applyMigrations } = await import("../lib/db/migrate");
    await applyMigrations(url);
    return { kind, url, dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (process.env.FLOWDECK_BENCH_PG_URL) process.env.FLOWDECK_TEST_PG_URL = process.env.FLOWDECK_BENCH_PG_URL;
  const { createTestPgDatabase } = await import("../lib/db/test-database");
  const database = await createTestPgDatabase();
  process.env.DATABASE_URL = database.url;
  return {
    kind, url: database.url, dir,
    drop: async () => {
      await database.drop({ force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchWorkspace {
  actor: import("../lib/schemas/workspace").Actor;
  /** An admin API key of the workspace. */
  key: string;
  /** A key bound to `greet` (label production), for the Dify route. */
  difyKey: string;
}

/**
 * The demo workspace (greet, document-stats, …) plus the given workflows, an `llm` secret
 * pointing at the fake provider, and API keys. Do it before a server starts (the SQLite
 * server caches version resolution).
 */
export async function seedBenchWorkspace(opts: { llmUrl: string; workflows: Record<string, unknown> }): Promise<BenchWorkspace> {
  const { db } = await import("../lib/db/client");
  const { seedDemo } = await import("../lib/services/demo-seed");
  const { getActorForUser } = await import("../lib/services/users");
  const { createWorkflow } = await import("../lib/services/workflows");
  const { setSecret } = await import("../lib/services/secrets");
  const { createApiKey } = await import("../lib/services/api-keys");
  const { FAKE_OPENAI_API_KEY } = await import("../scripts/fake-openai");
  delete process.env.FLOWDECK_DEMO;
  await seedDemo();
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@flowdeck.local" } });
  const actor = await getActorForUser(user.id, "demo");
  for (const [name, definition] of Object.entries(opts.workflows)) {
    await createWorkflow(actor, { name, definition, labels: ["production"] });
  }
  await setSecret(actor, "llm", JSON.stringify({ base_url: opts.llmUrl, api_key: FAKE_OPENAI_API_KEY, model: "fake-gpt" }));
  const key = (await createApiKey(actor, { name: "bench", role: "admin" })).key;
  const difyKey = (await createApiKey(actor, { name: "bench dify", role: "member", workflow: "greet", label: "production" })).key;
  return { actor, key, difyKey };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last ~200 kB it printed. */
  output(): string;
  /** Lines it printed that look like errors (stack traces, "failed", "Error"). */
  errorLines: string[];
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();
process.on("exit", () => {
  for (const c of children) if (c.proc.exitCode == null) c.proc.kill("SIGKILL");
});

const ERROR_LINE = /\b(error|failed|unhandled|exception)\b|ECONN|EPIPE/i;

/** A child process (node --import tsx …) that is ready once a line matches `ready`. */
export async function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  opts: { nodeFlags?: string[]; timeoutMs?: number } = {},
): Promise<Child & { readyLine: string }> {
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), "--import", "tsx", ...args], {
    cwd: root, env, stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let partial = "";
  const errorLines: string[] = [];
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    log = (log + text).slice(-200_000);
    const lines = (partial + text).split("\n");
    partial = lines.pop()!;
    for (const line of lines) if (ERROR_LINE.test(line) && errorLines.length < 200) errorLines.push(line.slice(0, 500));
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const child: Child = {
    name, proc, pid: proc.pid!, errorLines, exited, output: () => log,
    async stop(graceMs = 15_000) {
      if (proc.exitCode != null || proc.signalCode != null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      children.delete(child);
    },
  };
  children.add(child);
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${opts.timeoutMs ?? 120_000} ms\n${log.slice(-3000)}`)), opts.timeoutMs ?? 120_000);
    const check = () => {
      const m = ready.exec(log);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off("data", check);
        resolve(m[0]);
      }
    };
    proc.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready\n${log.slice(-3000)}`));
    });
  });
  return { ...child, readyLine };
}

/** The fake OpenAI-compatible provider (scripts/fake-openai.ts) in its own process. */
export async function startFakeLlm(tokenDelayMs: number): Promise<Child & { url: string; host: string }> {
  const port = await freePort();
  const child = await startChild("fake-openai", ["scripts/fake-openai.ts", "--port", String(port), "--host", "127.0.0.1", "--token-delay", String(tokenDelayMs)],
    { ...process.env }, /listening on/);
  return { ...child, url: `http://127.0.0.1:${port}/v1`, host: `127.0.0.1:${port}` };
}

/** Environment shared by the web and worker processes. */
export function serverEnv(db: BenchDatabase, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: db.url,
    FLOWDECK_DATA_DIR: db.dir,
    FLOWDECK_SECRET_KEY: SECRET_KEY,
    AUTH_SECRET: SECRET_KEY,
    FLOWDECK_NO_BUILD: "1",
    FLOWDECK_DEMO: "off",
    NEXT_TELEMETRY_DISABLED: "1",
    CHECKPOINT_DISABLE: "1",
    FLOWDECK_ROOT: root,
    ...extra,
  };
}

const memProbe = pathToFileURL(path.join(root, "bench/mem-probe.mjs")).href;

export interface ProbeOptions {
  /** A file the process appends process.memoryUsage() samples to (bench/mem-probe.mjs). */
  memProbeFile?: string;
  /** Sample period; 0: only when sampleMemory() asks (no forced GC during timed phases). */
  memProbeMs?: number;
  /** Sample right after a forced full GC (--expose-gc). */
  gc?: boolean;
}

function probeFlags(opts: ProbeOptions): { flags: string[]; env: Record<string, string> } {
  if (!opts.memProbeFile) return { flags: [], env: {} };
  return {
    flags: [...(opts.gc ? ["--expose-gc"] : []), "--import", memProbe],
    env: { FLOWDECK_BENCH_MEMPROBE: opts.memProbeFile, FLOWDECK_BENCH_MEMPROBE_MS: String(opts.memProbeMs ?? 5000) },
  };
}

/**
 * The production server (scripts/server.ts on the current build, never rebuilt) on a random
 * port, or another `script` that prints "ready on http://…" the same way.
 */
export async function startWeb(env: NodeJS.ProcessEnv, name = "web", probe: ProbeOptions = {}, script = "scripts/server.ts"): Promise<Child & { url: string }> {
  const { flags, env: probeEnv } = probeFlags(probe);
  // FLOWDECK_BENCH_WEB_FLAGS: extra node flags for the web process (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const extra = process.env.FLOWDECK_BENCH_WEB_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = await startChild(name, [script], { ...env, ...probeEnv, PORT: "0", HOST: "127.0.0.1" }, /ready on (http:\/\/\S+)/, { nodeFlags: [...extra, ...flags] });
  return { ...child, url: /ready on (http:\/\/\S+)/.exec(child.readyLine)![1] };
}

/** A worker process (`npm run worker`, scripts/worker.ts). */
export async function startWorkerProcess(env: NodeJS.ProcessEnv, name = "worker", probe: ProbeOptions = {}): Promise<Child> {
  const { flags, env: probeEnv } = probeFlags(probe);
  const extra = process.env.FLOWDECK_BENCH_WORKER_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  return startChild(name, ["scripts/worker.ts"], { ...env, ...probeEnv }, /flowdeck worker: ready/, { nodeFlags: [...extra, ...flags] });
}

export interface ProcStats {
  /** user + system CPU time of the process (all its threads), ms. */
  cpuMs: number;
  rssKb: number;
  /** Peak RSS so far. */
  hwmKb: number;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU time and memory of a process from /proc (null once it is gone). */
export function procStats(pid: number): ProcStats | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
    return { cpuMs, rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
  } catch {
    return null;
  }
}

/**
 * Asks a process started with `memProbeMs: 0` for one sample now (SIGUSR2) and returns it
 * once written (null if none came within 10 s).
 */
export async function sampleMemory(pid: number, file: string): Promise<ReturnType<typeof readMemProbe>[number] | null> {
  const before = readMemProbe(file).length;
  process.kill(pid, "SIGUSR2");
  for (let waited = 0; waited < 10_000; waited += 50) {
    const samples = readMemProbe(file);
    if (samples.length > before) return samples[samples.length - 1];
    await sleep(50);
  }
  return null;
}

/** The memory samples bench/mem-probe.mjs wrote. */
export function readMemProbe(file: string): { t: number; gc: boolean; gcMs?: number; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/**
 * Splits an SSE byte stream (as text) into frames: `onFrame(id, event, data)` per frame with
 * a data line; comments and `retry:` are skipped.
 */
export class SseFrames {
  private buffer = "";
  constructor(private readonly onFrame: (id: string, event: string, data: string) => void) {}

  push(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id = "";
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(line[5] === " " ? 6 : 5);
        else if (line.startsWith("id:")) id = line.slice(line[3] === " " ? 4 : 3);
        else if (line.startsWith("event:")) event = line.slice(line[6] === " " ? 7 : 6);
      }
      if (data) this.onFrame(id, event, data);
    }
  }

  /** Text left that does not end a frame. */
  get rest(): string {
    return this.buffer;
  }
}
