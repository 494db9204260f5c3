/** Password sign-in throttling on a real database: per account, unknown emails alike, cleared by success, over after the window. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { hashPassword } from "../security/passwords";
import {
  assertSignInAllowed, recordSignInFailure, SIGN_IN_MAX_FAILURES, SIGN_IN_WINDOW_MS, SignInThrottledError,
} from "./sign-in-throttle";
import { authenticateWithPassword } from "./users";

beforeAll(() => applyMigrations());
afterAll(() => db.$disconnect());

let n = 0;
async function user() {
  const email = `throttle-${++n}-${Date.now()}@example.test`;
  const password = `pw-${n}-secret`;
  await db.user.create({ data: { email, name: `T ${n}`, passwordHash: await hashPassword(password) } });
  return { email, password };
}

describe("sign-in throttling", () => {
  it("after ten failures the account is refused, even with the right password; other accounts are not", async () => {
    const victim = await user();
    const other = await user();
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++) expect(await authenticateWithPassword(victim.email, `wrong-${i}`)).toBeNull();
    const refused = await authenticateWithPassword(victim.email, victim.password).catch((e) => e);
    expect(refused).toBeInstanceOf(SignInThrottledError);
    expect((refused as SignInThrottledError).message).toBe("Too many failed sign-ins for this account. Try again in 15 minutes.");
    // Spelled differently, it is the same account.
    await expect(authenticateWithPassword(`  ${victim.email.toUpperCase()} `, victim.password)).rejects.toBeInstanceOf(SignInThrottledError);
    expect(await authenticateWithPassword(other.email, other.password)).toMatchObject({ email: other.email });
  });

  it("a success before the limit clears the count", async () => {
    const u = await user();
    for (let i = 0; i < SIGN_IN_MAX_FAILURES - 1; i++) await authenticateWithPassword(u.email, "nope");
    expect(await authenticateWithPassword(u.email, u.password)).toMatchObject({ email: u.email });
    for (let i = 0; i < SIGN_IN_MAX_FAILURES - 1; i++) expect(await authenticateWithPassword(u.email, "nope")).toBeNull();
    expect(await authenticateWithPassword(u.email, u.password)).toMatchObject({ email: u.email });
  });

  it("unknown emails are counted the same way (nothing tells which accounts exist)", async () => {
    const ghost = `nobody-${Date.now()}@example.test`;
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++) expect(await authenticateWithPassword(ghost, "x")).toBeNull();
    await expect(authenticateWithPassword(ghost, "x")).rejects.toBeInstanceOf(SignInThrottledError);
  });

  it("the account opens again once the oldest failure leaves the window", () => {
    const email = `clock-${Date.now()}@example.test`;
    const t0 = 1_000_000_000_000;
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++) recordSignInFailure(email, t0 + i * 60_000);
    const last = t0 + (SIGN_IN_MAX_FAILURES - 1) * 60_000;
    const error = (() => { try { assertSignInAllowed(email, last); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(SignInThrottledError);
    expect((error as SignInThrottledError).retryAfterSec).toBe((SIGN_IN_WINDOW_MS - (SIGN_IN_MAX_FAILURES - 1) * 60_000) / 1000);
    expect(() => assertSignInAllowed(email, t0 + SIGN_IN_WINDOW_MS - 1)).toThrow(SignInThrottledError);
    expect(() => assertSignInAllowed(email, t0 + SIGN_IN_WINDOW_MS)).not.toThrow();
  });
});
