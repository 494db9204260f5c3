/**
 * `npm run worker`: a worker process of the scale-out deployment. It executes runs that
 * web processes stored and queued, taking them from graphile-worker's queue on the
 * PostgreSQL database of DATABASE_URL. Start any number of them, on any machine that
 * reaches the database (and the file storage).
 *
 *   FLOWDECK_WORKER_CONCURRENCY   runs executed at once (default 16)
 *   FLOWDECK_SHUTDOWN_GRACE_MS    on SIGTERM/SIGINT: how long running steps may finish
 *                                 before the unfinished runs are handed back (default 10 s)
 *   FLOWDECK_LEASE_MS             lease of a run without a heartbeat (default 30 s)
 *
 * Prints one line `flowdeck worker: ready (<owner>, concurrency N)` once it takes jobs.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);
process.env.CHECKPOINT_DISABLE = "1";

const { databaseProvider, databaseUrl } = await import("../lib/db/config");
if (databaseProvider(databaseUrl()) !== "postgresql") {
  console.error("flowdeck worker: DATABASE_URL must be a postgres:// URL (on SQLite the web process executes runs itself)");
  process.exit(1);
}
// The same secret key as the web process (it decrypts workspace secrets): from the
// environment, or the file `npm start` keeps in the data folder.
if (!process.env.FLOWDECK_SECRET_KEY) {
  const keyFile = path.join(path.resolve(root, process.env.FLOWDECK_DATA_DIR ?? "data"), "secret.key");
  if (existsSync(keyFile)) process.env.FLOWDECK_SECRET_KEY = readFileSync(keyFile, "utf8").trim();
}

// The compatibility APIs register their callback bodies (PromptLayer's) before any is sent.
await import("../lib/compat");
const { startCallbackDispatcher } = await import("../lib/services/callbacks");
await startCallbackDispatcher();
const { startWorker, workerConcurrency } = await import("../lib/executor/worker");
const worker = await startWorker();
console.log(`flowdeck worker: ready (${worker.owner}, concurrency ${workerConcurrency()})`);
// A runner that fails (its database gone) ends the process: a supervisor restarts it, and
// the runs it held are taken over by other workers once their leases lapse.
worker.done.catch((err) => {
  console.error("flowdeck worker: the job runner failed:", err);
  process.exit(1);
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`flowdeck worker: ${signal}, stopping (${worker.active} run(s) executing)`);
    void worker.stop().then(
      async () => {
        const { db } = await import("../lib/db/client");
        await db.$disconnect().catch(() => {});
        console.log("flowdeck worker: stopped");
        process.exit(0);
      },
      (err) => {
        console.error("flowdeck worker: stop failed:", err);
        process.exit(1);
      },
    );
  });
}
