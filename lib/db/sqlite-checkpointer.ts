/**
 * WAL checkpoints on a thread of their own (SQLite only).
 *
 * In WAL mode every commit appends pages to the write-ahead log, and by default the
 * connection that commits copies them back into the database file once the log holds 1,000
 * pages: on our one connection, that is the thread serving requests, about a tenth of its time
 * under sustained runs (`bench/greet-service.ts`, 16 at once: 739–778 runs/s with automatic
 * checkpoints, 823–890 without). The server therefore runs the checkpoints on a worker thread
 * with its own connection (sqlite-checkpointer-worker.mjs), and raises the main connection's
 * automatic threshold to a fallback that only matters if that thread stops.
 */
import path from "node:path";
import type { Worker as WorkerType } from "node:worker_threads";

// Loaded at run time, not imported: a bundler would rewrite `new Worker(path)` (see the sandbox pool).
const { Worker } = process.getBuiltinModule("node:worker_threads") as typeof import("node:worker_threads");

/** WAL pages after which the main connection checkpoints itself (about 40 MB): the fallback. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/** Where the worker file lives on disk. */
export function checkpointerWorkerPath(): string {
  return path.join(/*turbopackIgnore: true*/ process.env.FLOWDECK_ROOT ?? process.cwd(), "lib/db/sqlite-checkpointer-worker.mjs");
}

export interface Checkpointer {
  /** Runs a last checkpoint and closes the thread's connection. */
  stop(): Promise<void>;
}

/** Starts the checkpointer thread for the SQLite database at `file` (the thread does not keep the process alive). */
export function startCheckpointer(file: string, intervalMs = 200): Checkpointer {
  const worker: WorkerType = new Worker(checkpointerWorkerPath(), { workerData: { file, intervalMs }, env: {} });
  worker.unref();
  worker.on("error", (error) => console.error("[sqlite] the checkpointer thread failed:", error.message));
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      // The thread checkpoints once more, closes its connection and ends; terminated if it hangs.
      stopping ??= new Promise<void>((resolve) => {
        worker.once("exit", () => resolve());
        worker.postMessage({ type: "stop" });
        setTimeout(() => void worker.terminate().catch(() => {}), 2_000).unref();
      });
      return stopping;
    },
  };
}

/**
 * For the server: on SQLite, moves checkpoints to the thread and raises the main
 * connection's threshold to the fallback. Null on PostgreSQL.
 */
export async function startBackgroundCheckpoints(): Promise<Checkpointer | null> {
  const { databaseProvider, databaseUrl, sqliteFilePath } = await import("./config");
  const url = databaseUrl();
  if (databaseProvider(url) !== "sqlite") return null;
  const { db } = await import("./client");
  await db.$executeRawUnsafe(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  return startCheckpointer(path.resolve(sqliteFilePath(url)));
}
