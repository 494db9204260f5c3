/**
 * Where runs execute. "inline": in the process that accepted them (the embedded default,
 * SQLite). "worker": in separate worker processes (`npm run worker`) that take them from
 * graphile-worker's queue on PostgreSQL; the web process only stores and enqueues.
 * FLOWDECK_EXECUTOR=inline|worker overrides the default for the database in use.
 */
import { databaseProvider } from "../db/config";

export type ExecutionMode = "inline" | "worker";

let warned = false;

export function executionMode(): ExecutionMode {
  const provider = databaseProvider();
  const forced = process.env.FLOWDECK_EXECUTOR?.trim().toLowerCase();
  if (forced === "inline") return "inline";
  if (forced === "worker") {
    if (provider === "postgresql") return "worker";
    if (!warned) {
      warned = true;
      console.warn("[executor] FLOWDECK_EXECUTOR=worker needs PostgreSQL (the job queue lives there); running runs inline");
    }
    return "inline";
  }
  return provider === "postgresql" ? "worker" : "inline";
}

/** How long a graceful shutdown lets running steps finish before handing runs back (FLOWDECK_SHUTDOWN_GRACE_MS). */
export function shutdownGraceMs(): number {
  const n = Number(process.env.FLOWDECK_SHUTDOWN_GRACE_MS);
  return Number.isFinite(n) && n >= 0 ? n : 10_000;
}
