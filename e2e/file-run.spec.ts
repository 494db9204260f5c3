/** A file input: drop a CSV onto the drop zone, watch it upload, run document-stats. */
import { expect, test } from "@playwright/test";
import { dropFiles, screenshotPath, signIn } from "./helpers";

test("drop a CSV onto the drop zone and run the file workflow", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/workflows/document-stats");
  const csv = "city,people\nLisbon,545000\n\"Porto, city\",232000\nBraga,193000\n";
  await dropFiles(page, '[data-testid="dropzone-document"]', [{ name: "cities.csv", mimeType: "text/csv", content: csv }]);
  await expect(page.getByTestId("upload-item")).toContainText("uploaded");
  await page.screenshot({ path: screenshotPath("file-dropped"), fullPage: true });

  await page.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  const report = page.getByTestId("output-report");
  await expect(report.locator("h2")).toHaveText("cities.csv");
  await expect(report.locator("table")).toContainText("csv");
  await expect(report.locator("tr", { hasText: "lines" })).toContainText("4");
  await expect(page.getByTestId("output-stats")).toContainText("rows");
  await page.screenshot({ path: screenshotPath("file-run"), fullPage: true });
});
