/**
 * Preloaded into a server or worker by the load benchmarks (bench/load-kit.ts) with
 * `node --import ./bench/mem-probe.mjs`: appends process.memoryUsage() as a JSON line to
 * FLOWDECK_BENCH_MEMPROBE every FLOWDECK_BENCH_MEMPROBE_MS (default 5000). When the process
 * runs with --expose-gc, every sample is taken right after a full collection, so heapUsed
 * is the live heap (what a leak grows), not garbage waiting to be collected.
 */
import { appendFileSync } from "node:fs";

const file = process.env.FLOWDECK_BENCH_MEMPROBE;
if (file) {
  const every = Number(process.env.FLOWDECK_BENCH_MEMPROBE_MS) || 5000;
  const sample = () => {
    const gc = typeof globalThis.gc === "function";
    if (gc) globalThis.gc();
    const m = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), gc, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
  };
  setInterval(sample, every).unref();
}
