/** Random tokens (share links, API keys, invitations) and their at-rest hashes. */
import { createHash, randomBytes } from "node:crypto";

/** A URL-safe random token with `bytes` of entropy (default 24 bytes = 192 bits). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

/** SHA-256 hex; tokens are high-entropy, so a fast hash is enough (no salt needed). */
export function sha256Hex(value: string | Uint8Array): string {
  return createHash("sha256").update(value).digest("hex");
}
