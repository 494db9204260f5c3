/**
 * The production server (scripts/server.ts on the current `next build`) started by a test on
 * the test file's own database, so a test can speak real HTTP to the whole app — routing,
 * auth, handlers, streaming — on SQLite and on PostgreSQL alike.
 *
 * It needs a build: `npm test` builds before it runs vitest. Elsewhere a missing build makes
 * `testServerUnavailable()` return a reason to skip, except in CI, where a test that needs the
 * server must fail instead. The build may be older than the sources while you work: the server
 * runs what was built.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  process: ChildProcess;
  /** Everything the server printed (for a failing test's message). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const inCi = () => !!process.env.CI && process.env.CI !== "false";

/** Null when a production build exists; otherwise why a server test cannot run here. */
export function testServerUnavailable(): string | null {
  if (existsSync(path.join(root, ".next/BUILD_ID"))) return null;
  const reason = "no production build (.next): run `npx tsx scripts/start.ts --build-only` first";
  if (inCi()) throw new Error(`CI needs the production server for this test: ${reason}`);
  return reason;
}

export interface StartTestServerOptions {
  /** Default: the test file's database (process.env.DATABASE_URL from vitest.setup.ts). */
  databaseUrl?: string;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** How long to wait for "ready" (the first start on a cold machine takes a few seconds). */
  timeoutMs?: number;
}

export async function startTestServer(opts: StartTestServerOptions = {}): Promise<TestServer> {
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("startTestServer: no DATABASE_URL");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/server.ts")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      PORT: "0",
      HOST: "127.0.0.1",
      FLOWDECK_DATA_DIR: process.env.FLOWDECK_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), "flowdeck-server-")),
      // Runs execute in the server, as in the embedded default (PostgreSQL would want workers).
      FLOWDECK_EXECUTOR: "inline",
      NEXT_TELEMETRY_DISABLED: "1",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`test server not ready after ${opts.timeoutMs ?? 60_000} ms`)), opts.timeoutMs ?? 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${err.message}\n--- server output ---\n${log.slice(-4000)}`));
    };
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /ready on (http:\/\/[^\s]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (log += c.toString()));
    child.once("exit", (code, signal) => fail(new Error(`test server exited early (${code ?? signal})`)));
  });
  // Keep collecting output for failure messages, bounded.
  child.stdout!.on("data", () => (log = log.slice(-100_000)));
  return {
    url,
    process: child,
    output: () => log,
    async stop(graceMs = 5_000) {
      if (child.exitCode != null || child.signalCode != null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
