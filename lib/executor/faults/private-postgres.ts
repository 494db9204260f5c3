/**
 * A PostgreSQL server of the test's own (test-only): initdb into a temp folder, pg_ctl on a
 * free port, so a fault test can restart or hard-stop it without touching the shared
 * server every other test file uses. As root (CI, this machine) the server runs as the
 * `postgres` user through `runuser`, since PostgreSQL refuses to run as root.
 *
 * Trust authentication on 127.0.0.1 only, fsync off (a process crash loses nothing with it
 * off; only an OS crash would, and the folder is thrown away after the test).
 */
import { execFile, execFileSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const isRoot = () => process.getuid?.() === 0;
const inCi = () => !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";

/** The bin folder of the newest installed PostgreSQL (FLOWDECK_TEST_PG_BIN overrides), or null. */
export function postgresBinDir(): string | null {
  const forced = process.env.FLOWDECK_TEST_PG_BIN?.trim();
  if (forced) return existsSync(path.join(forced, "initdb")) ? forced : null;
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(path.join(base, v, "bin/initdb")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], "bin") : null;
}

/**
 * Why a private server cannot be started here, or null when it can. In CI it must be
 * possible, so this throws there instead of returning a reason.
 */
export function privatePostgresUnavailable(): string | null {
  let reason: string | null = null;
  if (!postgresBinDir()) reason = "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql; install the postgresql package or set FLOWDECK_TEST_PG_BIN";
  else if (isRoot()) {
    try {
      execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
    } catch {
      reason = "running as root but there is no `postgres` user to run the server as";
    }
  }
  if (reason && inCi()) throw new Error(`CI needs a private PostgreSQL server for this test: ${reason}`);
  return reason;
}

export interface PrivatePostgres {
  port: number;
  dataDir: string;
  /** postgres:// URL of database `name` (superuser `postgres`, no password). */
  url(name?: string): string;
  /** pg_ctl stop with this shutdown mode (`fast`: clients disconnected; `immediate`: no shutdown at all, recovery at the next start). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** stop + start (pg_ctl restart with this mode). */
  restart(mode?: "fast" | "immediate"): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  /** Stops the server (immediate) and deletes its folder. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(opts: { settings?: Record<string, string | number> } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL binaries");
  const root = mkdtempSync(path.join(os.tmpdir(), "flowdeck-private-pg-"));
  const dataDir = path.join(root, "data");
  const logFile = path.join(root, "server.log");
  writeFileSync(logFile, "");
  if (isRoot()) {
    // The server runs as `postgres`: it must own its folder and log.
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    for (const p of [root, logFile]) chownSync(p, uid, gid);
  }
  const asServerUser = (cmd: string, args: string[]) =>
    isRoot() ? run("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args]) : run(path.join(bin, cmd), args);

  await asServerUser("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  const port = await freePort();
  const settings: Record<string, string | number> = {
    port,
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${root}'`,
    fsync: "off",
    full_page_writes: "off",
    shared_buffers: "'32MB'",
    max_connections: 80,
    ...opts.settings,
  };
  appendFileSync(path.join(dataDir, "postgresql.conf"), `\n# flowdeck fault test\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`);

  const pgCtl = (args: string[]) => asServerUser("pg_ctl", ["-D", dataDir, "-l", logFile, ...args]);
  const start = async () => {
    await pgCtl(["-w", "-t", "30", "start"]);
  };
  await start();
  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  let destroyed = false;
  return {
    port,
    dataDir,
    url: (name = "postgres") => `postgres://postgres@127.0.0.1:${port}/${name}`,
    start,
    async stop(mode = "fast") {
      await pgCtl(["-w", "-t", "30", "-m", mode, "stop"]);
    },
    async restart(mode = "fast") {
      await pgCtl(["-w", "-t", "30", "-m", mode, "restart"]);
    },
    log,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await pgCtl(["-w", "-t", "10", "-m", "immediate", "stop"]).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}
