/**
 * Share links end to end: a link made from a run's Share panel (without inputs) opens signed
 * out and shows the result but not the inputs — neither on the page nor in its event stream;
 * revoking it, or its expiry passing, makes the page and the stream answer 404 "This link
 * does not work"; the workspace's Share links page lists every link with its run and revokes
 * them; a viewer sees that page read-only.
 */
import { expect, test, type Browser, type Locator, type Page } from "@playwright/test";
import { screenshotPath, setDemoRole, signIn } from "./helpers";

test.describe.configure({ mode: "serial" });

const LINKS_PATH = "/w/demo/settings/share-links";

/** Runs greet@production with `name` and waits for the result on the run page. */
async function runGreet(page: Page, name: string) {
  await page.goto("/w/demo/workflows/greet?label=production");
  await page.getByLabel(/Name/).fill(name);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/w\/demo\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByTestId("output-greeting")).toContainText(`HELLO, ${name.toUpperCase()}!`);
}

/** Opens the run page's Share panel. */
async function openSharePanel(page: Page) {
  await page.getByTestId("share-open").click();
  const panel = page.getByTestId("share-panel");
  await expect(panel).toBeVisible();
  return panel;
}

/** Creates a link from the open panel and answers its URL (shown this once). */
async function createLink(page: Page) {
  const panel = page.getByTestId("share-panel");
  const field = panel.getByTestId("share-url");
  // A second link replaces the first one's URL in the same field: wait for the new value.
  const previous = (await field.count()) ? await field.inputValue() : null;
  await panel.getByRole("button", { name: "Create share link" }).click();
  if (previous) await expect(field).not.toHaveValue(previous);
  const url = await field.inputValue();
  expect(url).toMatch(/\/share\/[A-Za-z0-9_-]{32}$/);
  return { url, token: url.split("/share/")[1] };
}

/** A signed-out browser. */
async function stranger(browser: Browser) {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

/** The row of a link (by its token's last 4 characters) in a list. */
const linkRow = (list: Locator, token: string) =>
  list.locator("li").filter({ hasText: `/share/…${token.slice(-4)}` });

async function expectDead(page: Page, url: string) {
  const response = await page.goto(url);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  await expect(page.getByTestId("shared-title")).toHaveCount(0);
  await expect(page.getByTestId("run-outputs")).toHaveCount(0);
  const events = await page.request.get(`/api/share/${url.split("/share/")[1]}/events`);
  expect(events.status()).toBe(404);
  expect(await events.json()).toEqual({ code: "not_found", message: "This link does not work" });
}

test.beforeAll(() => setDemoRole("owner"));

test("share a run without its inputs, open it signed out, revoke it", async ({ page, browser }) => {
  const name = "Quintessa";
  await signIn(page);
  await runGreet(page, name);

  const panel = await openSharePanel(page);
  await expect(panel.getByTestId("share-links-empty")).toBeVisible();
  await expect(panel.getByTestId("share-include-inputs")).not.toBeChecked();
  await expect(panel.getByLabel("Expires")).toHaveValue("never");
  const { url, token } = await createLink(page);
  await expect(panel.getByTestId("share-created")).toContainText("Shown once");
  const row = linkRow(panel.getByTestId("run-share-links"), token);
  await expect(row).toHaveAttribute("data-state", "active");
  await expect(row.getByTestId("share-link-inputs")).toHaveText("result only");
  await expect(row.getByTestId("share-link-times")).toContainText("never expires");
  await expect(row.getByTestId("share-link-times")).toContainText("by ");
  await page.screenshot({ path: screenshotPath("share-panel"), fullPage: true });

  // Signed out: the result is there; the input is nowhere (the output shouts it in capitals).
  const other = await stranger(browser);
  const response = await other.page.goto(url);
  expect(response?.status()).toBe(200);
  await expect(other.page.getByTestId("shared-title")).toContainText("Greet");
  await expect(other.page.getByTestId("output-greeting")).toContainText("HELLO, QUINTESSA!");
  await expect(other.page.getByTestId("shared-scope")).toContainText("result only");
  await expect(other.page.getByRole("heading", { name: "Inputs", exact: true })).toHaveCount(0);
  // Parts a result-only link does not carry are left out, not shown empty.
  await expect(other.page.getByTestId("run-logs")).toHaveCount(0);
  await expect(other.page.getByTestId("step-outputs")).toHaveCount(0);
  await expect(other.page.locator("body")).not.toContainText(name);
  await expect(other.page.getByText("Sign out")).toHaveCount(0);
  expect(await other.page.content()).not.toContain(name);
  await other.page.screenshot({ path: screenshotPath("shared-run-result-only"), fullPage: true });
  // Its event stream carries the result, and neither step outputs nor log lines.
  const events = await other.page.request.get(`/api/share/${token}/events`);
  expect(events.status()).toBe(200);
  const body = await events.text();
  expect(body).toContain("HELLO, QUINTESSA!");
  expect(body).toContain("event: run_finished");
  expect(body).not.toContain(name);
  expect(body).not.toContain("event: log");

  // Revoke (after a confirmation): the link stops working at once, page and stream alike.
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByTestId("confirm-revoke-share-link")).toContainText("This link does not work");
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(row).toHaveAttribute("data-state", "revoked");
  await expect(row.getByTestId("share-link-times")).toContainText("revoked");
  await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  await expectDead(other.page, url);
  await other.page.screenshot({ path: screenshotPath("shared-run-revoked"), fullPage: true });
  await other.context.close();

  // The panel lists it as revoked after a reload too.
  await page.reload();
  const again = await openSharePanel(page);
  await expect(linkRow(again.getByTestId("run-share-links"), token)).toHaveAttribute("data-state", "revoked");
});

test("a link with inputs shows them; a link with an expiry stops working when it passes", async ({ page, browser }) => {
  const name = "Bartholomew";
  await signIn(page);
  await runGreet(page, name);
  const panel = await openSharePanel(page);

  // With inputs: the page shows them.
  await panel.getByTestId("share-include-inputs").check();
  const withInputs = await createLink(page);
  await expect(linkRow(panel.getByTestId("run-share-links"), withInputs.token).getByTestId("share-link-inputs")).toHaveText("with inputs");

  // An exact expiry a few seconds ahead, in the browser's own time (seconds never :00, which
  // the field would shorten).
  const soon = await page.evaluate(() => {
    let at = new Date(Date.now() + 15_000);
    if (at.getSeconds() === 0) at = new Date(at.getTime() + 1000);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  });
  await panel.getByTestId("share-include-inputs").uncheck();
  await panel.getByLabel("Expires").selectOption("custom");
  await panel.getByLabel("Stops working at (your time)").fill(soon);
  const expiring = await createLink(page);
  const expiringRow = linkRow(panel.getByTestId("run-share-links"), expiring.token);
  await expect(expiringRow.getByTestId("share-link-times")).toContainText(/expires in \d+ s/);

  const other = await stranger(browser);
  await other.page.goto(withInputs.url);
  await expect(other.page.getByRole("heading", { name: "Inputs", exact: true })).toBeVisible();
  await expect(other.page.getByTestId("run-logs")).toBeVisible();
  await expect(other.page.locator("body")).toContainText(name);
  await expect(other.page.getByTestId("shared-scope")).toContainText("includes the run's inputs");

  // Before its expiry the other link works and says when it stops; after, it is dead.
  await other.page.goto(expiring.url);
  await expect(other.page.getByTestId("output-greeting")).toContainText("HELLO, BARTHOLOMEW!");
  await expect(other.page.getByTestId("shared-expiry")).toContainText("Link expires in");
  await expect
    .poll(async () => (await other.page.request.get(`/api/share/${expiring.token}/events`)).status(), { timeout: 30_000, intervals: [1000] })
    .toBe(404);
  await expectDead(other.page, expiring.url);
  await other.context.close();

  await page.reload();
  const again = await openSharePanel(page);
  await expect(linkRow(again.getByTestId("run-share-links"), expiring.token)).toHaveAttribute("data-state", "expired");
  await expect(linkRow(again.getByTestId("run-share-links"), withInputs.token)).toHaveAttribute("data-state", "active");
});

test("the workspace's Share links page lists links with their runs and revokes them; viewers read only", async ({ page, browser }) => {
  await signIn(page);
  await runGreet(page, "Ottoline");
  const runUrl = page.url();
  await openSharePanel(page);
  const { url, token } = await createLink(page);

  await page.getByRole("link", { name: "Share links", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${LINKS_PATH}$`));
  await expect(page.getByRole("heading", { name: "Share links", exact: true })).toBeVisible();
  const list = page.getByTestId("workspace-share-links");
  // The earlier tests' links are listed too, each with its state.
  await expect(list.locator("li[data-state=revoked]").first()).toBeVisible();
  await expect(list.locator("li[data-state=expired]").first()).toBeVisible();
  const row = linkRow(list, token);
  await expect(row).toHaveAttribute("data-state", "active");
  await expect(row.getByTestId("share-link-run")).toContainText("Greet");
  await expect(row.getByTestId("share-link-run")).toHaveAttribute("href", new URL(runUrl).pathname);
  await page.screenshot({ path: screenshotPath("share-links-page"), fullPage: true });

  // Filters: the active link is under Active, not under Expired or revoked.
  await page.getByRole("link", { name: "Active", exact: true }).click();
  await expect(page).toHaveURL(/state=active$/);
  await expect(linkRow(list, token)).toBeVisible();
  await expect(list.locator("li[data-state=revoked]")).toHaveCount(0);
  await page.getByRole("link", { name: "Expired or revoked" }).click();
  await expect(page).toHaveURL(/state=inactive$/);
  await expect(linkRow(list, token)).toHaveCount(0);
  await page.getByRole("link", { name: "All", exact: true }).click();

  // Revoke from here; the stranger's page then says the link does not work.
  const other = await stranger(browser);
  await other.page.goto(url);
  await expect(other.page.getByTestId("shared-title")).toContainText("Greet");
  await linkRow(list, token).getByRole("button", { name: "Revoke" }).click();
  await linkRow(list, token).getByRole("button", { name: "Yes, revoke" }).click();
  await expect(linkRow(list, token)).toHaveAttribute("data-state", "revoked");
  await page.reload();
  await expect(linkRow(list, token)).toHaveAttribute("data-state", "revoked");
  await expectDead(other.page, url);
  await other.context.close();

  // A viewer sees the list, read-only.
  try {
    setDemoRole("viewer");
    await page.reload();
    await expect(page.getByTestId("share-links-read-only")).toContainText("viewer");
    await expect(list.locator("li").first()).toBeVisible();
    await expect(list.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  } finally {
    setDemoRole("owner");
  }
});
