/**
 * The baseline of bench/scale.ts: a graphile-worker process whose task does nothing,
 * configured like a Flowdeck worker (same concurrency, pool and poll interval), so the
 * difference is what executing a run costs. Prints "ready" once it takes jobs; SIGTERM
 * stops it. Run: DATABASE_URL=postgres://… node --import tsx bench/noop-worker.ts
 */
import { Logger, run } from "graphile-worker";

const concurrency = Number(process.env.FLOWDECK_WORKER_CONCURRENCY) || 16;
const runner = await run({
  connectionString: process.env.DATABASE_URL,
  concurrency,
  maxPoolSize: Number(process.env.FLOWDECK_WORKER_PG_POOL) || Math.min(concurrency + 2, 10),
  pollInterval: 1_000,
  noHandleSignals: true,
  logger: new Logger(() => (level, message) => {
    if (level === "error") console.error(message);
  }),
  taskList: { bench_noop: async () => {} },
});
console.log(`ready (noop, concurrency ${concurrency})`);
process.on("SIGTERM", () => void runner.stop().finally(() => process.exit(0)));
