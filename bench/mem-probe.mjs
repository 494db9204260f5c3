/**
 * Preloaded into a server or worker by the load benchmarks (bench/load-kit.ts) with
 * `node --import ./bench/mem-probe.mjs`: appends process.memoryUsage() as a JSON line to
 * FLOWDECK_BENCH_MEMPROBE every FLOWDECK_BENCH_MEMPROBE_MS (default 5000), or, with 0, only
 * when asked by SIGUSR2 (load-kit's sampleMemory). When the process runs with --expose-gc,
 * every sample is taken right after a full collection, so heapUsed is the live heap (what a
 * leak grows), not garbage waiting to be collected; `gcMs` is how long that collection took.
 *
 * A forced full collection stops the process for tens of milliseconds and costs it far more
 * afterwards (measured: a sample every 2 s cut 16-client throughput by about a fifth), so a
 * bench that measures speed samples on demand, between its timed phases.
 */
import { appendFileSync } from "node:fs";

const file = process.env.FLOWDECK_BENCH_MEMPROBE;
if (file) {
  const every = Number(process.env.FLOWDECK_BENCH_MEMPROBE_MS ?? 5000);
  const sample = () => {
    const gc = typeof globalThis.gc === "function";
    const t0 = performance.now();
    if (gc) globalThis.gc();
    const gcMs = Math.round((performance.now() - t0) * 10) / 10;
    const m = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), gc, gcMs, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
  };
  if (every > 0) setInterval(sample, every).unref();
  else process.on("SIGUSR2", sample);
}
