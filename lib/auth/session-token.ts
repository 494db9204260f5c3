/**
 * Session cookies decoded and re-issued once per process, not on every request.
 *
 * Auth.js keeps the session in an encrypted JWT cookie. Every `auth()` call decrypts it and
 * then encrypts a fresh copy with a later expiry (to slide the cookie; a page render cannot
 * even set it). Each of the two is a key derivation (HKDF), a key thumbprint and a cipher
 * run, all asynchronous Web Crypto calls: about 1.2 ms and 0.7 ms of wall time here, on every
 * page and server action. So:
 *   - decode: the payload of a token decrypted and verified once is kept, keyed by the exact
 *     token text (only whoever holds that token can hit it); expiry is checked on every use;
 *   - encode: re-issuing the same session (the same claims, `jti` included) within a minute
 *     hands back the token issued the first time; its expiry is at most a minute shorter.
 *     A new sign-in (no `jti` yet) always gets a new token.
 */
import { decode, encode, type JWT, type JWTDecodeParams, type JWTEncodeParams } from "next-auth/jwt";

type Decode = (params: JWTDecodeParams) => Promise<JWT | null>;
type Encode = (params: JWTEncodeParams) => Promise<string>;

/** A decoder that remembers what `inner` returned for each token, up to `max` tokens. */
export function rememberingDecoder(inner: Decode, decoded = new Map<string, JWT>(), max = 2_000): Decode {
  return async (params) => {
    if (!params.token) return null;
    const key = `${JSON.stringify(params.secret)}\n${params.salt}\n${params.token}`;
    const known = decoded.get(key);
    if (known) {
      if (typeof known.exp === "number" && known.exp * 1000 > Date.now()) return { ...known };
      decoded.delete(key);
    }
    const payload = await inner(params);
    if (payload && typeof payload.exp === "number") {
      if (decoded.size >= max) decoded.delete(decoded.keys().next().value!);
      decoded.set(key, { ...payload });
    }
    return payload;
  };
}

/** An encoder that re-issues the token it issued for the same session claims within `reuseMs`. */
export function rememberingEncoder(
  inner: Encode, issued = new Map<string, { token: string; at: number }>(), reuseMs = 60_000, max = 2_000,
): Encode {
  return async (params) => {
    if (!params.token?.jti) return inner(params); // a sign-in: always a new session token
    const key = JSON.stringify([params.secret, params.salt, params.maxAge ?? null, params.token]);
    const now = Date.now();
    const known = issued.get(key);
    if (known && now - known.at < reuseMs) return known.token;
    const token = await inner(params);
    issued.delete(key);
    if (issued.size >= max) issued.delete(issued.keys().next().value!);
    issued.set(key, { token, at: now });
    return token;
  };
}

// The maps on globalThis: Next.js may load this module in several bundles of one process.
const shared = globalThis as unknown as {
  flowdeckSessionTokens?: { decoded: Map<string, JWT>; issued: Map<string, { token: string; at: number }> };
};
const memory = (shared.flowdeckSessionTokens ??= { decoded: new Map(), issued: new Map() });

/** Auth.js's own `decode`, remembered per token (Auth.js's `jwt.decode` option). */
export const decodeSessionToken = rememberingDecoder(decode, memory.decoded);
/** Auth.js's own `encode`, reusing a recent re-issue of the same session (Auth.js's `jwt.encode` option). */
export const encodeSessionToken = rememberingEncoder(encode, memory.issued);
