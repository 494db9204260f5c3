import { encode, decode, type JWTDecodeParams } from "next-auth/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rememberingDecoder, rememberingEncoder } from "./session-token";

const secret = "session-token-test-secret-0123456789";
const salt = "authjs.session-token";

function counting() {
  let calls = 0;
  const inner = (params: JWTDecodeParams) => {
    calls++;
    return decode(params);
  };
  return { inner, get calls() { return calls; } };
}

afterEach(() => vi.useRealTimers());

describe("rememberingDecoder", () => {
  it("decrypts a token once, then answers from memory with the same claims", async () => {
    const c = counting();
    const decodeToken = rememberingDecoder(c.inner);
    const token = await encode({ token: { sub: "user-1", email: "a@example.test" }, secret, salt });
    const first = await decodeToken({ token, secret, salt });
    expect(first).toMatchObject({ sub: "user-1", email: "a@example.test" });
    const again = await decodeToken({ token, secret, salt });
    expect(again).toEqual(first);
    expect(c.calls).toBe(1);
    // A caller changing what it got does not change what the next caller gets.
    again!.sub = "someone-else";
    expect((await decodeToken({ token, secret, salt }))?.sub).toBe("user-1");
    expect(c.calls).toBe(1);
  });

  it("refuses what Auth.js refuses: another secret, another salt, a changed token, no token", async () => {
    const c = counting();
    const decodeToken = rememberingDecoder(c.inner);
    const token = await encode({ token: { sub: "user-2" }, secret, salt });
    expect(await decodeToken({ token, secret, salt })).toMatchObject({ sub: "user-2" });
    await expect(decodeToken({ token, secret: `${secret}-other`, salt })).rejects.toThrow();
    await expect(decodeToken({ token, secret, salt: "__Secure-authjs.session-token" })).rejects.toThrow();
    const tampered = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect(decodeToken({ token: tampered, secret, salt })).rejects.toThrow();
    expect(await decodeToken({ token: "", secret, salt })).toBeNull();
  });

  it("does not serve a token past its expiry", async () => {
    const c = counting();
    const decodeToken = rememberingDecoder(c.inner);
    const token = await encode({ token: { sub: "user-3" }, secret, salt, maxAge: 60 });
    expect(await decodeToken({ token, secret, salt })).toMatchObject({ sub: "user-3" });
    vi.useFakeTimers({ now: Date.now() + 3_600_000, toFake: ["Date"] });
    await expect(decodeToken({ token, secret, salt })).rejects.toThrow(/exp/);
    expect(c.calls, "the expired token went back to Auth.js").toBe(2);
  });

  it("keeps at most `max` tokens", async () => {
    const c = counting();
    const memory = new Map();
    const decodeToken = rememberingDecoder(c.inner, memory, 3);
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((i) => encode({ token: { sub: `u${i}` }, secret, salt })));
    for (const token of tokens) await decodeToken({ token, secret, salt });
    expect(memory.size).toBe(3);
    await decodeToken({ token: tokens[4], secret, salt });
    expect(c.calls).toBe(5);
    await decodeToken({ token: tokens[0], secret, salt });
    expect(c.calls, "the oldest was let go").toBe(6);
  });
});

describe("rememberingEncoder", () => {
  function countingEncode() {
    let calls = 0;
    return { inner: (params: Parameters<typeof encode>[0]) => (calls++, encode(params)), get calls() { return calls; } };
  }

  it("re-issuing one session within the window hands back one token; a later re-issue is new", async () => {
    const c = countingEncode();
    const encodeToken = rememberingEncoder(c.inner, new Map(), 60_000);
    const session = await decode({ token: await encode({ token: { sub: "user-4" }, secret, salt }), secret, salt });
    expect(session?.jti).toBeTruthy();
    const first = await encodeToken({ token: session!, secret, salt });
    expect(await encodeToken({ token: { ...session! }, secret, salt })).toBe(first);
    expect(c.calls).toBe(1);
    const reissued = await decode({ token: first, secret, salt });
    expect(reissued).toMatchObject({ sub: "user-4" });
    expect(reissued!.exp).toBeGreaterThanOrEqual(session!.exp!);
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ["Date"] });
    const later = await encodeToken({ token: session!, secret, salt });
    expect(later).not.toBe(first);
    expect(c.calls).toBe(2);
  });

  it("never shares a token between sign-ins, other claims or other cookies", async () => {
    const c = countingEncode();
    const encodeToken = rememberingEncoder(c.inner);
    const signIn = { sub: "user-5", email: "e@example.test" };
    const a = await encodeToken({ token: signIn, secret, salt });
    const b = await encodeToken({ token: signIn, secret, salt });
    expect(a).not.toBe(b); // no jti yet: each sign-in is its own session
    const session = (await decode({ token: a, secret, salt }))!;
    const x = await encodeToken({ token: session, secret, salt });
    const y = await encodeToken({ token: { ...session, sub: "user-6" }, secret, salt });
    const z = await encodeToken({ token: session, secret, salt: "__Secure-authjs.session-token" });
    expect(new Set([x, y, z]).size).toBe(3);
    expect((await decode({ token: y, secret, salt }))?.sub).toBe("user-6");
    expect(c.calls).toBe(5);
  });
});
