/** The run page follows a run live: steps start and finish on the timeline as they happen. */
import { expect, test } from "@playwright/test";
import { screenshotPath, signIn } from "./helpers";

test("steps appear live while the run is in progress", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/workflows/release-pipeline");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);

  // Mid-run: prepare done, build and test running in parallel, notes not started yet.
  // One snapshot of all four statuses at a time, so the check cannot straddle two moments.
  const statuses = () =>
    page.locator('[data-testid^="step-"][data-status]').evaluateAll((els) =>
      Object.fromEntries(els.map((el) => [el.getAttribute("data-testid"), el.getAttribute("data-status")])),
    );
  await expect
    .poll(statuses, { intervals: [50] })
    .toEqual({ "step-prepare": "succeeded", "step-build": "running", "step-test": "running", "step-notes": "pending" });
  await expect(page.getByTestId("run-status")).toContainText("running");
  await page.screenshot({ path: screenshotPath("live-run-midway"), fullPage: true });

  // Then it finishes, without a reload.
  await expect(page.getByTestId("step-notes")).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByTestId("output-notes").locator("h1")).toHaveText("v1.0");
  await expect(page.getByTestId("run-logs")).toContainText("Building artifacts");
  await page.screenshot({ path: screenshotPath("live-run-finished"), fullPage: true });
});
