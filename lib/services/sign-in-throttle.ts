/**
 * Failed password sign-ins per account: after MAX_FAILURES within WINDOW_MS, the account's
 * email is refused (without checking the password) until the oldest of those failures is out
 * of the window. Unknown emails count the same way, so the answer says nothing about which
 * accounts exist. A successful sign-in clears the count.
 *
 * The counts live in this process: the embedded (SQLite) server is one process; with several
 * web processes on PostgreSQL each keeps its own, so the limit is per process there.
 */
import { DomainError } from "./errors";

export const SIGN_IN_WINDOW_MS = 15 * 60_000;
export const SIGN_IN_MAX_FAILURES = 10;
/** Accounts tracked at most (the longest-idle is dropped first), so a flood of made-up emails stays bounded. */
const MAX_TRACKED = 10_000;

export class SignInThrottledError extends DomainError {
  constructor(readonly retryAfterSec: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSec / 60));
    super("rate_limited", `Too many failed sign-ins for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
  }
}

const state = globalThis as unknown as { flowdeckSignInFailures?: Map<string, number[]> };
const failures: Map<string, number[]> = (state.flowdeckSignInFailures ??= new Map());

const keyOf = (email: string) => email.trim().toLowerCase();

function recent(key: string, now: number): number[] {
  const times = (failures.get(key) ?? []).filter((t) => now - t < SIGN_IN_WINDOW_MS);
  if (times.length) failures.set(key, times);
  else failures.delete(key);
  return times;
}

/** Throws SignInThrottledError while the account has too many recent failures. */
export function assertSignInAllowed(email: string, now = Date.now()): void {
  const times = recent(keyOf(email), now);
  if (times.length >= SIGN_IN_MAX_FAILURES) {
    throw new SignInThrottledError(Math.ceil((times[times.length - SIGN_IN_MAX_FAILURES] + SIGN_IN_WINDOW_MS - now) / 1000));
  }
}

export function recordSignInFailure(email: string, now = Date.now()): void {
  const key = keyOf(email);
  const times = recent(key, now);
  failures.delete(key); // re-inserted last: the map's order is idleness
  failures.set(key, [...times.slice(-(SIGN_IN_MAX_FAILURES - 1)), now]);
  if (failures.size > MAX_TRACKED) failures.delete(failures.keys().next().value!);
}

export function clearSignInFailures(email: string): void {
  failures.delete(keyOf(email));
}
