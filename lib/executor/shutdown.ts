/**
 * Graceful-stop hooks of this process, kept on globalThis: the server script
 * (scripts/server.ts) and the executor Next.js loaded (instrumentation.ts) are different
 * module instances in one process, and this is how the first reaches the second.
 * No imports, so the server can load it without loading the app.
 */
type Hook = () => Promise<void>;

const globalForHooks = globalThis as unknown as { flowdeckShutdownHooks?: Set<Hook>; flowdeckLateShutdownHooks?: Set<Hook> };
const hooks = (globalForHooks.flowdeckShutdownHooks ??= new Set());
// Connections the other hooks still use while they finish (the event bus announces the last
// events and hand-backs of the runs being stopped): closed once every other hook is done.
const lateHooks = (globalForHooks.flowdeckLateShutdownHooks ??= new Set());

/** Registers `hook` to run on a graceful stop (`late`: after all the others); returns its removal. */
export function onShutdown(hook: Hook, opts: { late?: boolean } = {}): () => void {
  const set = opts.late ? lateHooks : hooks;
  set.add(hook);
  return () => set.delete(hook);
}

/** Runs every hook once (in parallel, the late ones after) and waits for them; failures are logged, not thrown. */
export async function runShutdownHooks(): Promise<void> {
  for (const set of [hooks, lateHooks]) {
    const all = [...set];
    set.clear();
    await Promise.all(all.map((hook) => hook().catch((err) => console.error("[shutdown] hook failed:", err))));
  }
}
