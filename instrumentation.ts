/**
 * Runs once when the Next.js server starts: warms the code sandbox (so the first user's
 * code step does not pay for loading QuickJS) and lets the embedded executor resume
 * unfinished runs.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getSandboxPool } = await import("./lib/engine");
  const pool = getSandboxPool();
  const warm = { code: "return 1", inputs: "{}", steps: "{}", timeoutMs: 5000, memoryMb: 32 };
  void Promise.all(Array.from({ length: pool.size }, () => pool.run(warm))).catch(() => {});
  // Cross-process live events and cancels on PostgreSQL (no-op on SQLite); first, so that
  // nothing announced by other processes is missed once runs start here.
  const { startEventBus, stopEventBus } = await import("./lib/events/run-event-bus");
  await startEventBus().catch((err) => console.error("[event-bus] could not start:", err));
  const { onShutdown } = await import("./lib/executor/shutdown");
  onShutdown(async () => void (await stopEventBus()), { late: true });
  // SQLite: write-ahead log checkpoints on a thread of their own, off the request thread.
  const { startBackgroundCheckpoints } = await import("./lib/db/sqlite-checkpointer");
  const checkpointer = await startBackgroundCheckpoints().catch((err) => void console.error("[sqlite] checkpointer not started:", err));
  // Last: the writes still queued are committed (SQLite's writer thread), then the last checkpoint.
  const { closeDirectWriter } = await import("./lib/db/sqlite-direct");
  onShutdown(async () => {
    await closeDirectWriter();
    await checkpointer?.stop();
  }, { late: true });
  // The compatibility APIs register their callback bodies (PromptLayer's) before any is sent.
  await import("./lib/compat").catch((err) => console.error("[compat] could not load:", err));
  // Before the executor resumes runs, so the callbacks of resumed runs are not missed.
  const { startCallbackDispatcher } = await import("./lib/services/callbacks");
  await startCallbackDispatcher().catch((err) => console.error("[callbacks] could not start:", err));
  const { startExecutor } = await import("./lib/executor");
  await startExecutor();
  // Uploads a crash left staged (tmp/ in the file store), now and every hour.
  const { sweepAbandonedUploads } = await import("./lib/storage/staged-upload");
  const sweep = () => void sweepAbandonedUploads().catch((err) => console.error("[files] sweeping abandoned uploads failed:", err));
  sweep();
  setInterval(sweep, 3_600_000).unref();
}
