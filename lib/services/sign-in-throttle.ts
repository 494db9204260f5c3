/**
 * Failed password sign-ins per account: after MAX_FAILURES within WINDOW_MS, the account's
 * email is refused (without checking the password) until the oldest of those failures is out
 * of the window. Unknown emails count the same way, so the answer says nothing about which
 * accounts exist. A successful sign-in clears the count.
 *
 * The failures are rows in the database (SignInFailure), so every web process sharing a
 * PostgreSQL database counts the same ones. Accounts are known by the SHA-256 of the email;
 * a refused attempt is not recorded, so one account holds at most MAX_FAILURES rows, and rows
 * past the window are deleted as new ones arrive.
 */
import { db } from "../db/client";
import { sha256Hex } from "../security/tokens";
import { DomainError } from "./errors";

export const SIGN_IN_WINDOW_MS = 15 * 60_000;
export const SIGN_IN_MAX_FAILURES = 10;

export class SignInThrottledError extends DomainError {
  constructor(readonly retryAfterSec: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSec / 60));
    super("rate_limited", `Too many failed sign-ins for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
  }
}

const emailHashOf = (email: string) => sha256Hex(email.trim().toLowerCase());

/** Throws SignInThrottledError while the account has too many recent failures. */
export async function assertSignInAllowed(email: string, now = Date.now()): Promise<void> {
  const recent = await db.signInFailure.findMany({
    where: { emailHash: emailHashOf(email), createdAt: { gt: new Date(now - SIGN_IN_WINDOW_MS) } },
    orderBy: { createdAt: "desc" },
    take: SIGN_IN_MAX_FAILURES,
    select: { createdAt: true },
  });
  if (recent.length >= SIGN_IN_MAX_FAILURES) {
    // Open again when the oldest of the last MAX_FAILURES failures leaves the window.
    const oldest = recent[SIGN_IN_MAX_FAILURES - 1].createdAt.getTime();
    throw new SignInThrottledError(Math.ceil((oldest + SIGN_IN_WINDOW_MS - now) / 1000));
  }
}

export async function recordSignInFailure(email: string, now = Date.now()): Promise<void> {
  await db.signInFailure.create({ data: { emailHash: emailHashOf(email), createdAt: new Date(now) } });
  await db.signInFailure.deleteMany({ where: { createdAt: { lte: new Date(now - SIGN_IN_WINDOW_MS) } } });
}

export async function clearSignInFailures(email: string): Promise<void> {
  await db.signInFailure.deleteMany({ where: { emailHash: emailHashOf(email) } });
}
