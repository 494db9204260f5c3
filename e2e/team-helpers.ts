/** Shared by e2e/teams.spec.ts: extra users and invitation states, written to the e2e server's database. */
import { expect, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { hashPassword } from "../lib/security/passwords";

const DB_PATH = path.resolve("data/e2e/flowdeck.db");

/** DateTime as Prisma stores it in SQLite (ISO with an explicit UTC offset). */
const sqliteTime = (d: Date) => d.toISOString().replace("Z", "+00:00");

function open() {
  return new Database(DB_PATH, { fileMustExist: true, timeout: 10_000 });
}

/** A new user who can sign in with a password and belongs to no workspace yet. */
export async function createUser(label: string): Promise<{ email: string; password: string; name: string }> {
  const email = `${label}-${randomBytes(4).toString("hex")}@example.test`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const name = `${label[0].toUpperCase()}${label.slice(1)} Tester`;
  const passwordHash = await hashPassword(password);
  const db = open();
  try {
    db.prepare('INSERT INTO "User" ("id", "email", "name", "passwordHash", "createdAt") VALUES (?, ?, ?, ?, ?)')
      .run(randomUUID(), email, name, passwordHash, sqliteTime(new Date()));
  } finally {
    db.close();
  }
  return { email, password, name };
}

/** Moves an invitation's expiry into the past, found by its link (the database holds only the token's hash). */
export function expireInvitation(link: string) {
  const token = link.split("/invite/")[1];
  const db = open();
  try {
    const changed = db.prepare('UPDATE "Invitation" SET "expiresAt" = ? WHERE "tokenHash" = ?')
      .run(sqliteTime(new Date(Date.now() - 60_000)), createHash("sha256").update(token).digest("hex")).changes;
    expect(changed).toBe(1);
  } finally {
    db.close();
  }
}

/** Whether any stored column holds this exact token (it must not: only its hash is kept). */
export function tokenStoredInClear(link: string): boolean {
  const token = link.split("/invite/")[1];
  const db = open();
  try {
    const rows = db.prepare('SELECT * FROM "Invitation"').all() as Record<string, unknown>[];
    return rows.some((r) => Object.values(r).some((v) => typeof v === "string" && v.includes(token)));
  } finally {
    db.close();
  }
}

/** Signs in on the login page as any user; `landing` is where the app should send them. */
export async function signInAs(page: Page, user: { email: string; password: string }, landing: RegExp) {
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(landing);
}

/** Creates an invitation on the Members page and answers its full link (shown once). */
export async function createInvitationLink(page: Page, role: "viewer" | "member" | "admin" | "owner", email = "") {
  const form = page.getByTestId("invite-form");
  await form.getByLabel("Role").selectOption(role);
  await form.getByLabel("Email").fill(email);
  await form.getByRole("button", { name: "Create invitation link" }).click();
  const panel = page.getByTestId("new-invite-panel");
  await expect(panel).toContainText(`Invitation for a ${role}`);
  const link = await panel.getByTestId("new-invite-link").inputValue();
  expect(link).toMatch(/^http:\/\/[^/]+\/invite\/[A-Za-z0-9_-]{32}$/);
  await panel.getByRole("button", { name: "Done" }).click();
  await expect(panel).toHaveCount(0);
  return link;
}
