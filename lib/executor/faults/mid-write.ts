/**
 * Killing a process while it is provably inside a database write (test-only).
 *
 * A kill at a random moment mostly lands between writes. Here the process is frozen
 * (SIGSTOP), and only if the database shows it inside a write transaction right then is
 * it killed (SIGKILL, while still frozen: it cannot finish the write in between);
 * otherwise it is thawed and tried again a few milliseconds later.
 *
 * - SQLite (WAL): the writer holds the WAL write lock — a POSIX lock on byte 120 of the
 *   `-shm` file — from its first write until COMMIT. /proc/locks lists it with the pid.
 * - PostgreSQL: one of the process's sessions (found by application_name, set through
 *   PGAPPNAME) has a transaction id, i.e. a transaction that has written and not ended:
 *   `idle in transaction` between the statements of a multi-statement transaction, or
 *   `active` inside a statement.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync, statSync } from "node:fs";

export interface WriteProbe {
  /** What shows `pid` inside a write right now, or null. */
  inWrite(pid: number): Promise<string | null>;
}

/** SQLite: the WAL write lock on `${dbFile}-shm` held by the process. */
export function sqliteWriteProbe(dbFile: string): WriteProbe {
  return {
    async inWrite(pid) {
      let inode: number;
      try {
        inode = statSync(`${dbFile}-shm`).ino;
      } catch {
        return null; // not opened in WAL mode (yet)
      }
      // "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 120 120"
      const held = readFileSync("/proc/locks", "utf8").split("\n").some((line) => {
        const f = line.trim().split(/\s+/);
        return f[1] === "POSIX" && f[3] === "WRITE" && Number(f[4]) === pid && f[5]?.endsWith(`:${inode}`) && f[6] === "120";
      });
      return held ? "holds the SQLite WAL write lock" : null;
    },
  };
}

type RawQuery = <T>(sql: string, ...values: unknown[]) => Promise<T>;

/** PostgreSQL: a session named `appName` with an open write transaction. */
export function pgWriteProbe(query: RawQuery, appName: string): WriteProbe {
  return {
    async inWrite() {
      const rows = await query<{ state: string; statement: string }[]>(
        `SELECT state, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS statement FROM pg_stat_activity
          WHERE application_name = $1 AND backend_xid IS NOT NULL`,
        appName,
      );
      return rows.length ? rows.map((r) => `${r.state}: ${r.statement}`).join(" | ") : null;
    },
  };
}

export interface MidWriteKill {
  /** Freeze-and-look attempts it took. */
  attempts: number;
  /** What the probe saw at the kill. */
  evidence: string;
}

/** Freezes `child` until `probe` sees it writing, then SIGKILLs it; throws if that never happens in `timeoutMs`. */
export async function killMidWrite(child: ChildProcess, probe: WriteProbe, timeoutMs = 15_000): Promise<MidWriteKill> {
  const pid = child.pid!;
  const deadline = Date.now() + timeoutMs;
  for (let attempts = 1; ; attempts++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process ${pid} exited before it could be caught writing`);
    process.kill(pid, "SIGSTOP");
    let evidence: string | null = null;
    try {
      evidence = await probe.inWrite(pid);
    } finally {
      if (evidence) process.kill(pid, "SIGKILL");
      else process.kill(pid, "SIGCONT");
    }
    if (evidence) return { attempts, evidence };
    if (Date.now() > deadline) throw new Error(`process ${pid} was never caught inside a write in ${attempts} tries (${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 1 + Math.random() * 15));
  }
}
