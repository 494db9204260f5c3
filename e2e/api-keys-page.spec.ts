/**
 * The API keys settings page end to end: a key created in the browser is shown once, works
 * against the run API, never appears again (not even in the page's HTML), and stops working
 * the moment it is revoked; members and viewers see the list read-only and are refused in words.
 */
import { expect, test, type Page } from "@playwright/test";
import { screenshotPath, setDemoRole, signIn } from "./helpers";

const KEYS_PATH = "/w/demo/settings/api-keys";

test.describe.configure({ mode: "serial" });


/** The list row of the key ending in `last4`. */
const rowOf = (page: Page, last4: string) =>
  page.getByTestId("api-keys-list").locator("li").filter({ has: page.getByTestId("api-key-masked").getByText(`fd_…${last4}`, { exact: true }) });

async function createKey(page: Page, name: string, options: { role?: "admin" | "member"; workflow?: string; label?: string } = {}) {
  const form = page.getByTestId("new-key-form");
  await form.getByLabel("Name").fill(name);
  if (options.role) await form.getByLabel("Role").selectOption(options.role);
  if (options.workflow) await form.getByLabel("Bound workflow").selectOption(options.workflow);
  if (options.label) await form.getByLabel("Label").fill(options.label);
  await form.getByRole("button", { name: "Create key" }).click();
  const panel = page.getByTestId("new-key-panel");
  await expect(panel).toContainText(`Created “${name}”`);
  const key = await panel.getByTestId("new-key-value").inputValue();
  expect(key).toMatch(/^fd_[A-Za-z0-9_-]{20,}$/);
  return key;
}

test("create a key, use it once shown, never see it again, revoke it", async ({ page }) => {
  await signIn(page);
  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page).toHaveURL(new RegExp(`${KEYS_PATH}$`));
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();

  // A nameless key is refused under its field; nothing is created.
  const form = page.getByTestId("new-key-form");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(form.getByTestId("key-name-error")).toHaveText("Give the key a name");
  // A label alone (without a workflow) cannot be set: the field appears only with a workflow.
  await expect(form.getByLabel("Label")).toHaveCount(0);

  const key = await createKey(page, "CI pipeline");
  const last4 = key.slice(-4);
  await expect(page.getByTestId("new-key-warning")).toContainText("you will not see it again");
  const row = rowOf(page, last4);
  await expect(row.getByTestId("api-key-name")).toHaveText("CI pipeline");
  await expect(row.getByTestId("api-key-role")).toHaveText("member");
  await expect(row).toContainText("never used");
  await page.screenshot({ path: screenshotPath("api-keys-created"), fullPage: true });

  // The key works against the run API.
  const headers = { authorization: `Bearer ${key}` };
  const ok = await page.request.get("/api/v1/workflows", { headers });
  expect(ok.status()).toBe(200);
  expect(JSON.stringify(await ok.json())).toContain("greet");

  // Once left, the key is gone for good: not on the page, not in freshly rendered HTML.
  await page.getByTestId("new-key-panel").getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("new-key-panel")).toHaveCount(0);
  await expect(form.getByLabel("Name")).toHaveValue("");
  const html = await (await page.request.get(KEYS_PATH)).text();
  expect(html).toContain(`fd_…${last4}`);
  expect(html).not.toContain(key);
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(key);
  // The request above counts as a use (recorded in the background, so allow a moment).
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText(/last used (just now|\d+ s ago)/, { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  const lastUsed = row.locator("time").nth(1);
  await expect(lastUsed).toHaveAttribute("title", /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);

  // A second, admin key bound to one workflow and label shows its binding.
  const bound = await createKey(page, "Greet on staging", { role: "admin", workflow: "greet", label: "staging" });
  const boundRow = rowOf(page, bound.slice(-4));
  await expect(boundRow.getByTestId("api-key-binding")).toHaveText("only greet @ staging");
  await expect(boundRow.getByTestId("api-key-role")).toHaveText("admin");
  await page.getByTestId("new-key-panel").getByRole("button", { name: "Done" }).click();
  await page.screenshot({ path: screenshotPath("api-keys-list"), fullPage: true });

  // Revoke the first key, with an inline confirmation that can be cancelled.
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(row.getByTestId("confirm-revoke")).toContainText("Revoke “CI pipeline”?");
  await page.screenshot({ path: screenshotPath("api-keys-revoke-confirm"), fullPage: true });
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByTestId("confirm-revoke")).toHaveCount(0);
  expect((await page.request.get("/api/v1/workflows", { headers })).status()).toBe(200);
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(row.getByTestId("api-key-revoked")).toHaveText("revoked");
  await expect(row).toHaveAttribute("data-revoked", "true");
  await expect(row.getByRole("button", { name: "Revoke", exact: true })).toHaveCount(0);

  const refused = await page.request.get("/api/v1/workflows", { headers });
  expect(refused.status()).toBe(401);
  // The other key is untouched.
  expect((await page.request.get("/api/v1/workflows", { headers: { authorization: `Bearer ${bound}` } })).status()).toBe(200);

  await page.reload();
  await expect(row.getByTestId("api-key-revoked")).toBeVisible();
  await expect(row).toContainText(/revoked (just now|\d+ s ago)/);
});

test("members and viewers see the keys read-only; a revoke they try is refused in words", async ({ page }) => {
  await signIn(page);
  await page.goto(KEYS_PATH);
  const row = page.getByTestId("api-keys-list").locator("li").filter({ has: page.getByTestId("api-key-name").getByText("Greet on staging", { exact: true }) });
  await expect(row).toBeVisible();
  // The page is open with the owner's controls when the role drops to member.
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  setDemoRole("member");
  try {
    await row.getByRole("button", { name: "Yes, revoke" }).click();
    await expect(row.getByTestId("api-key-row-error")).toHaveText("Your role (member) cannot do this");
    await expect(row).toHaveAttribute("data-revoked", "false");
    // Creating is refused the same way.
    await page.getByTestId("new-key-form").getByLabel("Name").fill("sneaky");
    await page.getByTestId("new-key-form").getByRole("button", { name: "Create key" }).click();
    await expect(page.getByTestId("key-form-error")).toHaveText("Your role (member) cannot do this");
    await expect(page.getByTestId("new-key-panel")).toHaveCount(0);
    await page.screenshot({ path: screenshotPath("api-keys-refused"), fullPage: true });

    for (const role of ["member", "viewer"] as const) {
      setDemoRole(role);
      await page.reload();
      await expect(page.getByTestId("api-keys-read-only")).toContainText("Only admins and owners can create or revoke API keys");
      await expect(page.getByTestId("api-keys-read-only")).toContainText(`Your role here is ${role}`);
      await expect(row).toBeVisible();
      await expect(page.getByRole("button", { name: "Revoke", exact: true })).toHaveCount(0);
      await expect(page.getByTestId("new-key-form")).toHaveCount(0);
      await expect(page.getByText("sneaky")).toHaveCount(0);
    }
    await page.screenshot({ path: screenshotPath("api-keys-read-only"), fullPage: true });
  } finally {
    setDemoRole("owner");
  }

  // Back as owner, in dark mode: the list and the form.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.reload();
  await expect(page.getByTestId("new-key-form")).toBeVisible();
  await page.getByTestId("new-key-form").getByLabel("Bound workflow").selectOption("greet");
  await expect(page.getByTestId("new-key-form").getByLabel("Label")).toBeVisible();
  await page.screenshot({ path: screenshotPath("api-keys-dark"), fullPage: true });
});
