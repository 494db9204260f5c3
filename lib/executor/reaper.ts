/**
 * The reaper of worker mode: on start and then on a timer, runs that want an executor but
 * have no live job (their worker died, or their enqueue was lost) are made runnable again
 * (requeueStalledRuns). Every worker and the web process run one; an advisory lock keeps
 * their passes from overlapping.
 */
import { LEASE_MS, requeueStalledRuns } from "../services/run-execution";

export interface Reaper {
  /** One pass now; resolves to the runs it requeued. */
  runNow(): Promise<number[]>;
  stop(): void;
}

export function startReaper(intervalMs = Math.max(250, Math.floor(LEASE_MS / 2))): Reaper {
  let running: Promise<number[]> | null = null;
  const runNow = () =>
    (running ??= requeueStalledRuns()
      .catch((err) => {
        const message = (err as Error).message;
        // The usual cause on a new database: graphile-worker's schema is not there yet.
        const hint = /graphile_worker/.test(message) ? " (run `npm run db:migrate`, or start a worker: it creates the job queue)" : "";
        console.error(`[reaper] pass failed: ${message}${hint}`);
        return [] as number[];
      })
      .finally(() => (running = null)));
  void runNow();
  const timer = setInterval(() => void runNow(), intervalMs);
  timer.unref?.();
  return { runNow, stop: () => clearInterval(timer) };
}
