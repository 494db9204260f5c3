/**
 * Graceful-stop hooks of this process, kept on globalThis: the server script
 * (scripts/server.ts) and the executor Next.js loaded (instrumentation.ts) are different
 * module instances in one process, and this is how the first reaches the second.
 * No imports, so the server can load it without loading the app.
 */
type Hook = () => Promise<void>;

const globalForHooks = globalThis as unknown as { flowdeckShutdownHooks?: Set<Hook> };
const hooks = (globalForHooks.flowdeckShutdownHooks ??= new Set());

/** Registers `hook` to run on a graceful stop; returns its removal. */
export function onShutdown(hook: Hook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Runs every hook once (in parallel) and waits for them; hook failures are logged, not thrown. */
export async function runShutdownHooks(): Promise<void> {
  const all = [...hooks];
  hooks.clear();
  await Promise.all(all.map((hook) => hook().catch((err) => console.error("[shutdown] hook failed:", err))));
}
