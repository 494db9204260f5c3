/**
 * Telling a lost database connection from any other failure, for a worker process that
 * must live through a PostgreSQL restart or outage.
 *
 * graphile-worker completes and fails jobs in promises nobody awaits; when the database is
 * restarting at that moment (connection refused, terminated by the administrator, cut
 * mid-query) the rejection is unhandled, and Node ends the process for it. Nothing is lost
 * by surviving it: the run row, not the job, decides who executes a run, and the reaper
 * unlocks or re-adds the job of a run left without a live one.
 */

/** Socket errors of a server that went away or is not there (yet). */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now, and class 08 (connection exception). */
const SQLSTATES = new Set(["57P01", "57P02", "57P03"]);
/** What node-postgres says when the socket closed under a client (no code of its own). */
const MESSAGES = [
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "Client has encountered a connection error and is not queryable",
  "terminating connection due to administrator command",
  "the database system is shutting down",
  "the database system is starting up",
];

/** Whether `error` (or its cause) says the database connection was lost or could not be made. */
export function isConnectionLoss(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 3) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === "string" && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (typeof message === "string" && MESSAGES.some((m) => message.includes(m))) return true;
  return isConnectionLoss(cause, depth + 1);
}

/**
 * While installed, an unhandled rejection that is a lost database connection is logged
 * instead of ending the process; any other one is thrown on, so it still ends the process
 * as Node would have. Returns the uninstall.
 */
export function surviveConnectionLoss(label: string): () => void {
  const handler = (reason: unknown) => {
    if (!isConnectionLoss(reason)) throw reason;
    const message = reason instanceof Error ? reason.message : String(reason);
    console.error(`[${label}] lost the database connection in the background (${message}); carrying on, the reaper repairs what it left`);
  };
  process.on("unhandledRejection", handler);
  return () => process.off("unhandledRejection", handler);
}
