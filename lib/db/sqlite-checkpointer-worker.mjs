/**
 * SQLite WAL checkpointer thread (see sqlite-checkpointer.ts). Plain ESM JavaScript: the host
 * starts it from this file on disk, outside any bundle.
 *
 * Its own connection to the database file, a PASSIVE checkpoint every `intervalMs`: the pages
 * committed to the write-ahead log are copied into the database file here, off the thread
 * that serves requests. PASSIVE never waits for or blocks the other connection's readers and
 * writers; whatever it cannot copy yet is copied next time.
 *
 * in : { type: "stop" }: a last checkpoint, then the connection closes and the thread ends.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { file, intervalMs } = workerData;
const db = new Database(file, { timeout: 1000, fileMustExist: true });
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");

const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch {
    // busy or locked: the next tick tries again
  }
}, intervalMs);

parentPort.on("message", (msg) => {
  if (msg?.type !== "stop") return;
  clearInterval(timer);
  try {
    checkpoint.run();
  } catch {
    // as above
  }
  db.close();
  parentPort.close();
});
