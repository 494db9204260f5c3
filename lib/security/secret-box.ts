/**
 * Encryption at rest for workspace secrets (AES-256-GCM). The key is derived from
 * FLOWDECK_SECRET_KEY (scripts/start.ts creates one in the data folder on first start).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

function key(): Buffer {
  const master = process.env.FLOWDECK_SECRET_KEY || process.env.AUTH_SECRET;
  if (!master) throw new Error("FLOWDECK_SECRET_KEY is not set");
  return createHash("sha256").update(`flowdeck-secret-box:${master}`).digest();
}

export function encryptSecret(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64")).join(".");
}

export function decryptSecret(sealed: string): string {
  const [iv, tag, body] = sealed.split(".").map((p) => Buffer.from(p, "base64"));
  const decipher = createDecipheriv("aes-256-gcm", key(), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
}
