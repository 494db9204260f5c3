/**
 * SQLite writer thread (see sqlite-writer.ts). Plain ESM JavaScript: the host starts it from
 * this file on disk, outside any bundle.
 *
 * Its own connection to the database file. Each message is a batch of writes, committed
 * together in one transaction, each write inside its own savepoint so that one write's
 * failure rolls back only that write (write-program.mjs). A write is data, not code:
 *
 *   in : { id, programs: [{ statements: [{ sql, params, mustChange? }], result? }] }
 *        A param { fromStatement: i, column } is the column of statement i's first returned row.
 *   out: { id, outcomes: [{ ok: true, value } | { ok: false, error: { name, message, code?, noRowChanged? } }] }
 *   in : { type: "stop" }: the connection closes and the thread ends (the host drains first).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { commitPrograms, describeError } from "./write-program.mjs";

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
    return programs.map(() => ({ ok: false, error: describeError(error) }));
  }
  return commitPrograms(prepared, programs);
}

parentPort.on("message", (msg) => {
  if (msg?.type === "stop") {
    db.close();
    parentPort.close();
    return;
  }
  parentPort.postMessage({ id: msg.id, outcomes: writeBatch(msg.programs) });
});
