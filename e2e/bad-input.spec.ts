/** Bad input gets a clear message in the UI, and stores no run. */
import { expect, test } from "@playwright/test";
import { countRows, dropFiles, screenshotPath, signIn } from "./helpers";

test.beforeEach(async ({ page }) => signIn(page));

test("a wrong input type is refused with a message on the field", async ({ page }) => {
  const before = countRows("Run");
  await page.goto("/w/demo/workflows/form-showcase");
  await page.getByLabel(/How many/).fill("lots");
  await page.getByLabel(/Settings/).fill("{ not json");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByTestId("error-count")).toContainText(/number/i);
  await expect(page.getByTestId("error-settings")).toContainText(/JSON/);
  await expect(page).toHaveURL(/form-showcase$/);
  await page.screenshot({ path: screenshotPath("bad-input"), fullPage: true });
  expect(countRows("Run")).toBe(before);
});

test("a missing required input is refused", async ({ page }) => {
  const before = countRows("Run");
  await page.goto("/w/demo/workflows/document-stats");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByTestId("error-document")).toContainText(/required/i);
  expect(countRows("Run")).toBe(before);
});

test("an unknown workflow says so", async ({ page }) => {
  await page.goto("/w/demo/workflows/no-such-workflow");
  await expect(page.getByTestId("page-error")).toContainText("Workflow 'no-such-workflow' not found");
  await page.goto("/w/demo/workflows/greet?label=no-such-label");
  await expect(page.getByTestId("page-error")).toContainText("Label 'no-such-label'");
});

test("a file of the wrong kind or too large is refused before upload", async ({ page }) => {
  const files = countRows("File");
  await page.goto("/w/demo/workflows/document-stats");
  await dropFiles(page, '[data-testid="dropzone-document"]', [{ name: "page.html", mimeType: "text/html", content: "<p>hi</p>" }]);
  await expect(page.getByTestId("upload-item")).toContainText("not accepted");
  await dropFiles(page, '[data-testid="dropzone-document"]', [
    { name: "big.txt", mimeType: "text/plain", content: "x".repeat(5 * 1024 * 1024 + 1) },
  ]);
  await expect(page.getByTestId("upload-item")).toContainText("too large");
  expect(countRows("File")).toBe(files);
  const runs = countRows("Run");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByTestId("error-document")).toContainText(/required/i);
  expect(countRows("Run")).toBe(runs);
});
