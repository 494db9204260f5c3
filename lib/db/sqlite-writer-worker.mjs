/**
 * SQLite writer thread (see sqlite-writer.ts). Plain ESM JavaScript: the host starts it from
 * this file on disk, outside any bundle.
 *
 * Its own connection to the database file. Each message is a batch of writes, committed
 * together in one transaction, each write inside its own savepoint so that one write's
 * failure rolls back only that write. A write is data, not code:
 *
 *   in : { id, programs: [{ statements: [{ sql, params, mustChange? }], result? }] }
 *        A param { fromStatement: i, column } is the column of statement i's first returned row.
 *   out: { id, outcomes: [{ ok: true, value } | { ok: false, error: { name, message, code?, noRowChanged? } }] }
 *   in : { type: "stop" }: the connection closes and the thread ends (the host drains first).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { file, busyTimeoutMs } = workerData;
const db = new Database(file, { timeout: busyTimeoutMs, fileMustExist: true });
// Per-connection settings, the same as the main connection's (lib/db/client.ts).
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");

const statements = new Map();
function prepared(sql) {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    statements.set(sql, stmt);
    if (statements.size > 200) statements.delete(statements.keys().next().value);
  }
  return stmt;
}

const begin = db.prepare("BEGIN IMMEDIATE");
const commit = db.prepare("COMMIT");
const savepoint = db.prepare("SAVEPOINT flowdeck_write");
const release = db.prepare("RELEASE flowdeck_write");
const rollbackTo = db.prepare("ROLLBACK TO flowdeck_write");

class NoRowChanged extends Error {
  constructor(tag) {
    super(`No row changed (${tag})`);
    this.noRowChanged = tag;
  }
}

function bindParam(param, rows) {
  if (param === null || typeof param !== "object") return param;
  if (ArrayBuffer.isView(param)) return Buffer.from(param.buffer, param.byteOffset, param.byteLength);
  const row = rows[param.fromStatement];
  if (!row || !(param.column in row)) throw new Error(`Statement ${param.fromStatement} returned no "${param.column}"`);
  return row[param.column];
}

function runProgram(program) {
  const rows = [];
  for (const s of program.statements) {
    const stmt = prepared(s.sql);
    const params = s.params.map((p) => bindParam(p, rows));
    if (stmt.reader) {
      const row = stmt.get(params);
      rows.push(row);
      if (s.mustChange !== undefined && row === undefined) throw new NoRowChanged(s.mustChange);
    } else {
      const { changes } = stmt.run(params);
      rows.push(undefined);
      if (s.mustChange !== undefined && changes === 0) throw new NoRowChanged(s.mustChange);
    }
  }
  const r = program.result;
  return r ? rows[r.fromStatement]?.[r.column] : undefined;
}

const describe = (error) => ({
  name: error?.name ?? "Error",
  message: error?.message ?? String(error),
  code: error?.code,
  noRowChanged: error?.noRowChanged,
});

/** BEGIN IMMEDIATE, retried while another connection holds the write lock past the busy timeout. */
function beginWhenFree() {
  const giveUpAt = Date.now() + 60_000;
  for (;;) {
    try {
      begin.run();
      return;
    } catch (error) {
      if (error?.code !== "SQLITE_BUSY" || Date.now() > giveUpAt) throw error;
    }
  }
}

function writeBatch(programs) {
  try {
    beginWhenFree();
  } catch (error) {
    return programs.map(() => ({ ok: false, error: describe(error) }));
  }
  const outcomes = [];
  try {
    for (const program of programs) {
      savepoint.run();
      try {
        const value = runProgram(program);
        release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        rollbackTo.run();
        release.run();
        outcomes.push({ ok: false, error: describe(error) });
      }
    }
    commit.run();
    return outcomes;
  } catch (error) {
    if (db.inTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // SQLite may have rolled back by itself
      }
    }
    return programs.map(() => ({ ok: false, error: describe(error) }));
  }
}

parentPort.on("message", (msg) => {
  if (msg?.type === "stop") {
    db.close();
    parentPort.close();
    return;
  }
  parentPort.postMessage({ id: msg.id, outcomes: writeBatch(msg.programs) });
});
