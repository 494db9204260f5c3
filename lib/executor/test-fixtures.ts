/**
 * Shared pieces of the executor tests (test-only; nothing in the app imports this): a
 * side-effect receiver that counts every call per run and step, the workflow that calls
 * it, and child processes that print JSON lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { startTestServer, type TestServer } from "../net/test-server";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** A local HTTP server standing for the outside world: every POST /hit is one side effect. */
export interface SideEffectReceiver {
  origin: string;
  /** "runUuid/stepId" → the times (ms since the epoch) it was called. */
  hits: Map<string, number[]>;
  count(run: string, step: string): number;
  total(): number;
  close(): Promise<void>;
}

export async function startSideEffectReceiver(opts: { delayMs?: number } = {}): Promise<SideEffectReceiver> {
  const hits = new Map<string, number[]>();
  let server: TestServer | undefined;
  server = await startTestServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const key = `${url.searchParams.get("run")}/${url.searchParams.get("step")}`;
    const at = Date.now();
    (hits.get(key) ?? hits.set(key, []).get(key)!).push(at);
    // Forget the request bodies: 200 runs × steps would pile up in the test server's log.
    server?.requests.splice(0);
    setTimeout(() => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true, key }));
    }, opts.delayMs ?? 0);
  });
  return {
    origin: server.origin,
    hits,
    count: (run, step) => hits.get(`${run}/${step}`)?.length ?? 0,
    total: () => [...hits.values()].reduce((n, times) => n + times.length, 0),
    close: () => server!.close(),
  };
}

/** An http step that reports itself to the receiver (given as the `receiver` input). */
export function hitStep(id: string, needs: string[] = []) {
  return {
    id, kind: "http", ...(needs.length ? { needs } : {}),
    config: { method: "POST", url: "{{ inputs.receiver }}/hit", query: { run: "{{ run.id }}", step: id }, body: { step: id } },
  };
}

/** receiver call `a` → delay → receiver call `b`: a durable step on each side of a wait. */
export function sideEffectWorkflow(delayMs: number) {
  return {
    inputs: [{ name: "receiver", type: "text" }],
    steps: [hitStep("a"), { id: "wait", kind: "delay", needs: ["a"], config: { ms: delayMs } }, hitStep("b", ["wait"])],
    outputs: { a: "{{ steps.a.output.body.key }}", b: "{{ steps.b.output.body.key }}" },
  };
}

export async function waitFor<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A child process (tsx) whose stdout lines are kept; stderr is passed through with a prefix. */
export interface ChildLines {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves with the first line (seen so far or later) that matches. */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnTsx(script: string, args: string[], env: Record<string, string | undefined>, label = path.basename(script)): ChildLines {
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffer = "";
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.match.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    if (process.env.FLOWDECK_TEST_CHILD_LOG !== "0") process.stderr.write(chunk.replace(/^(?=.)/gm, `[${label} ${child.pid}] `));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    lines,
    exited,
    waitForLine(match, timeoutMs = 30_000) {
      const seen = lines.find((l) => match.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${label}: no line matching ${match} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then(({ code, signal }) => reject(new Error(`${label} exited (${code ?? signal}) before printing ${match}`)));
      });
    },
  };
}
