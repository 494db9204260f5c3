/** The main path, as a new user walks it: sign in → greet@production → run → live → share. */
import { expect, test } from "@playwright/test";
import { screenshotPath, signIn } from "./helpers";

test("sign in, run greet at production, watch it, share it signed out", async ({ page, browser }) => {
  await signIn(page);
  await expect(page.getByTestId("workflow-greet")).toBeVisible();
  await page.screenshot({ path: screenshotPath("workflows"), fullPage: true });

  await page.getByTestId("workflow-greet").click();
  await page.getByTestId("version-picker").selectOption("label:production");
  await expect(page).toHaveURL(/\?label=production$/);
  // production points at v1, which has only the name input (v2 adds punctuation).
  await expect(page.getByText("Run v1")).toBeVisible();
  await expect(page.getByLabel("Punctuation")).toHaveCount(0);

  await page.getByLabel(/Name/).fill("Ada");
  await page.screenshot({ path: screenshotPath("workflow-form"), fullPage: true });
  await page.getByRole("button", { name: "Run" }).click();

  // The run page opens at once and fills in from the live stream.
  await expect(page).toHaveURL(/\/w\/demo\/runs\/[0-9a-f-]{36}$/);
  for (const step of ["greet", "shout", "result"]) {
    await expect(page.getByTestId(`step-${step}`)).toHaveAttribute("data-status", "succeeded");
  }
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByTestId("output-greeting")).toContainText("HELLO, ADA!");
  await expect(page.getByTestId("output-length")).toContainText("11");
  await expect(page.getByTestId("run-logs")).toContainText("shouting 11 characters");
  await page.screenshot({ path: screenshotPath("run-page"), fullPage: true });

  // The Share button opens the share panel (options, the run's links); create with the defaults.
  await page.getByTestId("share-open").click();
  await page.getByRole("button", { name: "Create share link" }).click();
  const shareUrl = await page.getByTestId("share-url").inputValue();
  expect(shareUrl).toMatch(/\/share\/[A-Za-z0-9_-]{32,}$/);

  // A fresh, signed-out browser context sees the result, and nothing else.
  const stranger = await browser.newContext();
  const shared = await stranger.newPage();
  await shared.goto(shareUrl);
  await expect(shared.getByTestId("shared-title")).toContainText("Greet");
  await expect(shared.getByTestId("output-greeting")).toContainText("HELLO, ADA!");
  await expect(shared.getByText("Sign out")).toHaveCount(0);
  await shared.screenshot({ path: screenshotPath("shared-run"), fullPage: true });
  // The same stranger cannot open the console.
  await shared.goto("/w/demo/runs");
  await expect(shared).toHaveURL(/\/login$/);
  // A made-up token shows a clear message.
  await shared.goto("/share/not-a-real-token-000000000000000000");
  await expect(shared.getByText("This link does not work")).toBeVisible();
  await stranger.close();

  // The run is in the history, newest first.
  await page.goto("/w/demo/runs");
  await expect(page.getByTestId("runs-table").locator("tbody tr").first()).toContainText("Greet");
  await page.screenshot({ path: screenshotPath("runs-history"), fullPage: true });
});
