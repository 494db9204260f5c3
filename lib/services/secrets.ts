/**
 * Workspace secrets (LLM provider keys and the like). Values are sealed with AES-256-GCM
 * (lib/security/secret-box) before they reach the database and are never listed: people
 * see names and dates; only the executor reads a value, for the workspace of the run.
 */
import { z } from "zod";
import { db } from "../db/client";
import { decryptSecret, encryptSecret } from "../security/secret-box";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError } from "./errors";
import { assertCan } from "./permissions";

/** A secret's name: letters, digits, `_`, `.` and `-`. */
export const secretNameSchema = z
  .string()
  .min(1, "Give the secret a name")
  .max(100, "Use at most 100 characters for a secret's name")
  .regex(/^[A-Za-z0-9_.-]+$/, "Use only letters, digits, '_', '.' and '-' in a secret's name");

/** A secret's value: any non-empty text up to 64 KiB. */
export const secretValueSchema = z
  .string()
  .min(1, "A secret's value cannot be empty")
  .max(65_536, "A secret's value can be at most 64 KiB");

/** What anyone in the workspace may see about a secret. */
export interface SecretSummary {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

const summary = { name: true, createdAt: true, updatedAt: true } as const;

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({ loc: ["body", field], msg: issue.message, type: "value_error" })));
  }
  return parsed.data;
}

/** Creates the secret or replaces its value (admins and owners). */
export async function setSecret(actor: Actor, name: string, value: string): Promise<SecretSummary> {
  assertCan(actor, "manage");
  const secretName = parseOrThrow(secretNameSchema, name, "name");
  const ciphertext = encryptSecret(parseOrThrow(secretValueSchema, value, "value"));
  return db.secret.upsert({
    where: { workspaceId_name: { workspaceId: actor.workspaceId, name: secretName } },
    create: { workspaceId: actor.workspaceId, name: secretName, ciphertext },
    update: { ciphertext },
    select: summary,
  });
}

/** Deletes a secret (admins and owners); NotFound when the workspace has none by that name. */
export async function deleteSecret(actor: Actor, name: string): Promise<void> {
  assertCan(actor, "manage");
  const { count } = await db.secret.deleteMany({ where: { workspaceId: actor.workspaceId, name } });
  if (count === 0) throw new NotFoundError("Secret");
}

/** The workspace's secrets by name: names and dates only, never values. */
export async function listSecrets(actor: Actor): Promise<SecretSummary[]> {
  assertCan(actor, "read");
  return db.secret.findMany({ where: { workspaceId: actor.workspaceId }, select: summary, orderBy: { name: "asc" } });
}

/**
 * The plaintext of one secret, for the executor running a run of this workspace (no actor:
 * internal use only). Null when there is no such secret.
 */
export async function readSecretValue(workspaceId: number, name: string): Promise<string | null> {
  if (!secretNameSchema.safeParse(name).success) return null;
  const row = await db.secret.findUnique({
    where: { workspaceId_name: { workspaceId, name } },
    select: { ciphertext: true },
  });
  if (!row) return null;
  try {
    return decryptSecret(row.ciphertext);
  } catch {
    // Not a missing secret: say so rather than let callers report "not configured".
    throw new Error(`The workspace secret '${name}' cannot be decrypted; was FLOWDECK_SECRET_KEY changed since it was saved?`);
  }
}
