import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SandboxPool } from "./pool";

/** A fake FLOWDECK_ROOT whose sandbox worker is the given source. */
function fakeRoot(workerSource: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "flowdeck-sandbox-"));
  mkdirSync(path.join(root, "lib/engine/sandbox"), { recursive: true });
  writeFileSync(path.join(root, "lib/engine/sandbox/sandbox-worker.mjs"), workerSource);
  return root;
}

const job = { code: "return 1", inputs: "{}", steps: "{}", timeoutMs: 200, memoryMb: 32 };
const savedRoot = process.env.FLOWDECK_ROOT;
let pool: SandboxPool | null = null;

afterEach(async () => {
  await pool?.close();
  pool = null;
  if (savedRoot === undefined) delete process.env.FLOWDECK_ROOT;
  else process.env.FLOWDECK_ROOT = savedRoot;
});

describe("SandboxPool", () => {
  it("kills a worker that does not answer by its deadline + 1 s, and replaces it", async () => {
    process.env.FLOWDECK_ROOT = fakeRoot(`
      import { parentPort } from "node:worker_threads";
      let n = 0;
      parentPort.on("message", (job) => {
        n++;
        if (n === 1) { const end = Date.now() + 60_000; while (Date.now() < end) {} }
        parentPort.postMessage({ id: job.id, type: "result", ok: true, output: String(n) });
      });
    `);
    pool = new SandboxPool(1);
    const t0 = performance.now();
    expect(await pool.run(job)).toEqual({ ok: false, code: "timeout", message: "Step exceeded its time limit of 200 ms" });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThan(1100);
    expect(elapsed).toBeLessThan(2000);
    // The replacement worker is fresh (its first job would hang too, so check the counter differently).
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t1 = performance.now();
    expect(await pool.run(job, { signal: controller.signal })).toMatchObject({ ok: false, code: "cancelled" });
    expect(performance.now() - t1).toBeLessThan(1000);
  });

  it("answers sandbox_error when the worker cannot start, without a crash loop", async () => {
    process.env.FLOWDECK_ROOT = fakeRoot(`throw new Error("cannot start");`);
    pool = new SandboxPool(1);
    const result = await pool.run(job);
    expect(result).toMatchObject({ ok: false, code: "sandbox_error" });
    expect(!result.ok && result.message).toMatch(/cannot start/);
    expect(await pool.run(job)).toMatchObject({ ok: false, code: "sandbox_error" });
  });

  it("cancels a queued job without running it", async () => {
    process.env.FLOWDECK_ROOT = fakeRoot(`
      import { parentPort } from "node:worker_threads";
      parentPort.on("message", (job) => setTimeout(() => parentPort.postMessage({ id: job.id, type: "result", ok: true, output: "1" }), 100));
    `);
    pool = new SandboxPool(1);
    const controller = new AbortController();
    const first = pool.run(job);
    const second = pool.run(job, { signal: controller.signal });
    controller.abort();
    expect(await second).toMatchObject({ ok: false, code: "cancelled" });
    expect(await first).toEqual({ ok: true, output: "1" });
  });

  it("hands a worker its next job while it runs one, so the next starts without waiting for this thread", async () => {
    process.env.FLOWDECK_ROOT = fakeRoot(`
      import { parentPort } from "node:worker_threads";
      parentPort.on("message", (job) => {
        const start = Date.now();
        while (Date.now() < start + 50) {}
        parentPort.postMessage({ id: job.id, type: "result", ok: true, output: JSON.stringify({ start, end: Date.now() }) });
      });
    `);
    pool = new SandboxPool(1);
    await pool.run(job); // the worker is up
    const first = pool.run(job);
    const second = pool.run(job);
    // This thread is busy for 200 ms: it cannot read the first result or send anything meanwhile.
    const busyUntil = Date.now() + 200;
    while (Date.now() < busyUntil) { /* serving other requests */ }
    const [a, b] = (await Promise.all([first, second])).map((r) => JSON.parse((r as { output: string }).output));
    expect(b.start - a.end).toBeLessThan(20);
  });

  it("does not run a job cancelled before its worker starts it, and answers at once", async () => {
    pool = new SandboxPool(1); // the real QuickJS worker
    await pool.run(job);
    const logs: string[] = [];
    const busy = pool.run({ ...job, code: "const end = Date.now() + 400; while (Date.now() < end) {} return 'done'", timeoutMs: 5000 });
    const controller = new AbortController();
    const waiting = pool.run({ ...job, code: "console.log('ran'); return 2" }, { signal: controller.signal, onLog: (_l, m) => logs.push(m) });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    controller.abort();
    expect(await waiting).toMatchObject({ ok: false, code: "cancelled" });
    expect(performance.now() - t0).toBeLessThan(50);
    expect(await busy).toEqual({ ok: true, output: '"done"' });
    expect(await pool.run({ ...job, code: "return 3" })).toEqual({ ok: true, output: "3" });
    expect(logs).toEqual([]);
  });

  it("when it kills a worker for one job, runs the job queued behind it on the replacement", async () => {
    process.env.FLOWDECK_ROOT = fakeRoot(`
      import { parentPort } from "node:worker_threads";
      parentPort.on("message", (job) => {
        if (job.code === "hang") { for (;;) {} }
        parentPort.postMessage({ id: job.id, type: "result", ok: true, output: "2" });
      });
    `);
    pool = new SandboxPool(1);
    const hung = pool.run({ ...job, code: "hang" });
    const next = pool.run(job);
    expect(await hung).toMatchObject({ ok: false, code: "timeout" });
    expect(await next).toEqual({ ok: true, output: "2" });
  });

  it("streams a long job's log lines while it runs (a short job's come with its result)", async () => {
    pool = new SandboxPool(1);
    const seen: { message: string; at: number }[] = [];
    const t0 = performance.now();
    const onLog = (_level: string, message: string) => seen.push({ message, at: performance.now() - t0 });
    const result = await pool.run({ ...job, timeoutMs: 5000, code: "console.log('early'); const end = Date.now() + 600; while (Date.now() < end) {} console.log('late'); return 1" }, { onLog });
    const done = performance.now() - t0;
    expect(result).toEqual({ ok: true, output: "1" });
    expect(seen.map((l) => l.message)).toEqual(["early", "late"]);
    expect(done - seen[0].at).toBeGreaterThan(400); // heard while the loop still ran
    const short: string[] = [];
    expect(await pool.run({ ...job, code: "console.log('a'); console.warn('b'); return 2" }, { onLog: (l, m) => short.push(`${l}:${m}`) })).toEqual({ ok: true, output: "2" });
    expect(short).toEqual(["info:a", "warn:b"]);
  });
});
