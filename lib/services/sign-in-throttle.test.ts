/** Password sign-in throttling on a real database: per account, unknown emails alike, cleared by success, over after the window. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { hashPassword } from "../security/passwords";
import { sha256Hex } from "../security/tokens";
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

  it("the account opens again once the oldest failure leaves the window", async () => {
    const email = `clock-${Date.now()}@example.test`;
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++) await recordSignInFailure(email, t0 + i * 60_000);
    const last = t0 + (SIGN_IN_MAX_FAILURES - 1) * 60_000;
    const error = await assertSignInAllowed(email, last).catch((e) => e);
    expect(error).toBeInstanceOf(SignInThrottledError);
    expect((error as SignInThrottledError).retryAfterSec).toBe((SIGN_IN_WINDOW_MS - (SIGN_IN_MAX_FAILURES - 1) * 60_000) / 1000);
    await expect(assertSignInAllowed(email, t0 + SIGN_IN_WINDOW_MS - 1)).rejects.toThrow(SignInThrottledError);
    await expect(assertSignInAllowed(email, t0 + SIGN_IN_WINDOW_MS)).resolves.toBeUndefined();
  });

  it("is counted in the database (every web process sees the same failures), by hash, and pruned", async () => {
    const u = await user();
    for (let i = 0; i < 3; i++) await authenticateWithPassword(u.email, "nope");
    const rows = await db.signInFailure.findMany({ where: { emailHash: sha256Hex(u.email.toLowerCase()) } });
    expect(rows).toHaveLength(3);
    expect(JSON.stringify(await db.signInFailure.findMany())).not.toContain(u.email); // no address is stored
    // Failures recorded by another process are the same rows: enough of them refuse here too.
    for (let i = 0; i < SIGN_IN_MAX_FAILURES - 3; i++) {
      await db.signInFailure.create({ data: { emailHash: sha256Hex(u.email.toLowerCase()) } });
    }
    await expect(authenticateWithPassword(u.email, u.password)).rejects.toBeInstanceOf(SignInThrottledError);
    // Rows past the window leave as new failures arrive.
    const stale = await db.signInFailure.create({ data: { emailHash: sha256Hex("stale@example.test"), createdAt: new Date(Date.now() - SIGN_IN_WINDOW_MS - 1000) } });
    await recordSignInFailure(`fresh-${Date.now()}@example.test`);
    expect(await db.signInFailure.findUnique({ where: { id: stale.id } })).toBeNull();
  });
});
