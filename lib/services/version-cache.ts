/**
 * Remembers which version a (workflow, label | version | latest) reference resolves to, so
 * starting a run costs no catalog queries. Every catalog write in this process clears the
 * workspace's entries (catalogChanged). Only used with the embedded SQLite database, where
 * this process is the only writer; with PostgreSQL another process may move a label, so the
 * cache stays off there.
 */
import { databaseProvider } from "../db/config";

const LIMIT = 2_000;
// On globalThis: Next.js loads this module in several bundles of one process, and a label
// moved through one (a server action) must clear what another (the run API) remembers.
const shared = globalThis as unknown as { flowdeckVersionCache?: Map<string, { workspaceId: number; value: unknown }> };
const entries = (shared.flowdeckVersionCache ??= new Map());
const enabled = databaseProvider() === "sqlite";

/** The cached value for key in a workspace, or undefined. */
export function cachedResolution<T>(workspaceId: number, key: string): T | undefined {
  if (!enabled) return undefined;
  return entries.get(`${workspaceId}\u0000${key}`)?.value as T | undefined;
}

export function rememberResolution(workspaceId: number, key: string, value: unknown): void {
  if (!enabled) return;
  if (entries.size >= LIMIT) entries.clear();
  entries.set(`${workspaceId}\u0000${key}`, { workspaceId, value });
}

/** Call after any write to a workspace's workflows, versions or labels. */
export function catalogChanged(workspaceId: number): void {
  for (const [key, entry] of entries) if (entry.workspaceId === workspaceId) entries.delete(key);
}
