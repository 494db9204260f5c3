/**
 * The document summary demo in the browser: a long text goes down the "long document" path
 * (the map over its parts), the other path shows as skipped with its reason, and the
 * markdown summary renders.
 */
import { expect, test } from "@playwright/test";
import { dropFiles, screenshotPath, signIn } from "./helpers";

test("summarise a long text: branch, map progress, skipped path with its reason", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/workflows/document-summary");
  const paragraphs = Array.from({ length: 12 }, (_, i) =>
    `Paragraph ${i + 1} describes how teams review releases before shipping. ` +
    "Every reviewer checks the changelog, the tests and the rollout plan. ".repeat(3));
  await dropFiles(page, '[data-testid="dropzone-document"]', [{ name: "review-guide.txt", mimeType: "text/plain", content: paragraphs.join("\n\n") }]);
  await expect(page.getByTestId("upload-item")).toContainText("uploaded");

  await page.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("run-status")).toContainText("succeeded");

  await expect(page.getByTestId("step-per_part")).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("step-whole")).toHaveAttribute("data-status", "skipped");
  await expect(page.getByTestId("skip-reason-whole")).toHaveText("Skipped: branch 'route' took long document");
  const summary = page.getByTestId("output-summary");
  await expect(summary.locator("h2")).toHaveText("review-guide.txt");
  await expect(summary.locator("ol li").first()).toContainText("Paragraph 1 describes how teams review releases before shipping.");
  expect(await summary.locator("ol li").count()).toBeGreaterThan(1);
  await page.screenshot({ path: screenshotPath("document-summary"), fullPage: true });
});
