import { expect, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import path from "node:path";

export const DEMO = { email: "demo@flowdeck.local", password: "flowdeck", workspace: "demo" };

export async function signIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/w\/demo\/workflows$/);
}

/** Rows in a table of the e2e server's own database (read-only), to prove nothing was stored. */
export function countRows(table: "Run" | "RunEvent" | "File" | "ShareLink"): number {
  const db = new Database(path.resolve("data/e2e/flowdeck.db"), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Changes the demo user's role in the demo workspace, in the e2e server's database (the server
 * reads it per request). Only there: e2e/teams.spec.ts gives the demo user other workspaces too.
 */
export function setDemoRole(role: "owner" | "admin" | "member" | "viewer") {
  const db = new Database(path.resolve("data/e2e/flowdeck.db"), { fileMustExist: true, timeout: 5_000 });
  try {
    const changed = db
      .prepare(`UPDATE "Membership" SET role = ? WHERE userId = (SELECT id FROM "User" WHERE email = ?)
        AND workspaceId = (SELECT id FROM "Workspace" WHERE slug = ?)`)
      .run(role, DEMO.email, DEMO.workspace).changes;
    expect(changed).toBe(1);
  } finally {
    db.close();
  }
}

/** Drops files onto an element the way a browser drag-and-drop does (DataTransfer + drop). */
export async function dropFiles(page: Page, selector: string, files: { name: string; mimeType: string; content: string }[]) {
  // A drop before React has hydrated the dropzone reaches no handler and is lost: wait until
  // React has attached its props to the element.
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith("__reactProps"));
  }, selector);
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([f.content], f.name, { type: f.mimeType }));
    return dt;
  }, files);
  for (const type of ["dragenter", "dragover", "drop"]) {
    await page.dispatchEvent(selector, type, { dataTransfer });
  }
}

export const screenshotPath = (name: string) => path.join("test-results", "screens", `${name}.png`);
