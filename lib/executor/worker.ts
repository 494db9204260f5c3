/**
 * A worker process's executor (worker mode, PostgreSQL): graphile-worker hands it jobs of
 * the `flowdeck_run` task; each job claims its run (compare-and-set, with a lease), executes
 * it with heartbeats, and returns when the run has finished or was handed back. Any number
 * of workers may run; a run is executed by one at a time because the run row decides.
 *
 * Started by scripts/worker.ts (`npm run worker`); imported only by scripts and tests (it
 * loads graphile-worker, which the web process does not need).
 */
import { randomUUID } from "node:crypto";
import { Logger, run, type Runner, type Task } from "graphile-worker";
import { databaseUrl } from "../db/config";
import { getSandboxPool } from "../engine";
import { startEventBus, stopEventBus } from "../events/run-event-bus";
import { addRunJob, claimRun, RUN_JOB_TASK } from "../services/run-execution";
import { LocalRuns } from "./local-runs";
import { shutdownGraceMs } from "./mode";
import { startReaper } from "./reaper";
import { migrateJobQueue } from "./job-queue-schema";
import { surviveConnectionLoss } from "./connection-loss";

export interface WorkerOptions {
  /** Runs executed at once (FLOWDECK_WORKER_CONCURRENCY, default 16). */
  concurrency?: number;
  connectionString?: string;
  /** How often graphile-worker looks for jobs when no notification came (ms). */
  pollInterval?: number;
}

export interface WorkerHandle {
  /** This worker's lease owner (`worker-<pid>-<random>`). */
  owner: string;
  /** Runs executing here now. */
  readonly active: number;
  /** Graceful stop: no new jobs, running steps may finish for `graceMs`, the rest is handed back. */
  stop(graceMs?: number): Promise<void>;
  /** Settles when the job runner stops; rejects if it fails (e.g. lost its database). */
  done: Promise<void>;
}

/** graphile-worker's own log, warnings and errors only (one info line per job is noise here). */
const quietLogger = new Logger((scope) => (level, message) => {
  if (level === "warning" && message.includes("smaller than concurrency")) return;
  if (level === "error" || level === "warning") console.error(`[graphile-worker${scope.workerId ? ` ${scope.workerId}` : ""}] ${message}`);
});

export function workerConcurrency(): number {
  const n = Number(process.env.FLOWDECK_WORKER_CONCURRENCY);
  return Number.isInteger(n) && n > 0 ? n : 16;
}

export async function startWorker(options: WorkerOptions = {}): Promise<WorkerHandle> {
  const connectionString = options.connectionString ?? databaseUrl();
  await migrateJobQueue(connectionString);
  // Warm the code sandbox (as the web process does at start): the first code steps would
  // otherwise wait for QuickJS to load in every sandbox thread.
  const pool = getSandboxPool();
  const warm = { code: "return 1", inputs: "{}", steps: "{}", timeoutMs: 5000, memoryMb: 32 };
  await Promise.all(Array.from({ length: pool.size }, () => pool.run(warm))).catch(() => {});
  // Cross-process signals: this worker's events reach every web process, and cancels reach us.
  await startEventBus();

  const local = new LocalRuns({
    owner: `worker-${process.pid}-${randomUUID().slice(0, 8)}`,
    // A handed-back run needs a job again (ours completes when the task returns).
    onHandBack: (runId) => addRunJob(runId),
    cancelPollMs: 500,
  });

  const executeRun: Task = async (payload) => {
    const runId = Number((payload as { runId?: unknown } | null)?.runId);
    if (!Number.isInteger(runId)) return; // not ours to understand; completing drops it
    if (local.isStopping) {
      // Taken just as we stop: put it back for another worker.
      await addRunJob(runId);
      return;
    }
    const claimed = await claimRun(runId, local.owner);
    if (!claimed) return; // finished, cancelled, or held by a live executor
    await local.execute(claimed);
  };

  const concurrency = options.concurrency ?? workerConcurrency();
  // graphile-worker completes and fails jobs without awaiting them: during a database
  // restart those rejections would end the process (see connection-loss.ts).
  const uninstall = surviveConnectionLoss("worker");
  const runner: Runner = await run({
    connectionString,
    concurrency,
    // Jobs hold no connection while they run: a small pool serves many (the warning about it is dropped below).
    maxPoolSize: Number(process.env.FLOWDECK_WORKER_PG_POOL) || Math.min(concurrency + 2, 10),
    noHandleSignals: true,
    pollInterval: options.pollInterval ?? 1_000,
    logger: quietLogger,
    taskList: { [RUN_JOB_TASK]: executeRun },
  }).catch((err) => {
    uninstall();
    throw err;
  });
  const reaper = startReaper();

  let stopping: Promise<void> | null = null;
  return {
    owner: local.owner,
    get active() {
      return local.size;
    },
    done: runner.promise,
    stop(graceMs = shutdownGraceMs()) {
      return (stopping ??= (async () => {
        reaper.stop();
        // graphile-worker stops taking jobs at once and waits for the running ones, which
        // return once drained (finished or handed back).
        const stopped = runner.stop().catch((err) => console.error("[worker] stopping the job runner:", err));
        await local.drain(graceMs);
        await stopped;
        await stopEventBus().catch(() => {});
        uninstall();
      })());
    },
  };
}
