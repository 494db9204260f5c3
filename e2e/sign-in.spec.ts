/** Sign-in: a wrong password is refused in words; after ten failures the account is throttled, even for the right password. */
import { expect, test } from "@playwright/test";
import { screenshotPath } from "./helpers";
import { createUser } from "./team-helpers";

test("a wrong password is refused; ten failures throttle the account, others are not affected", async ({ page }) => {
  const victim = await createUser("throttled");
  const bystander = await createUser("bystander");
  await page.goto("/login");
  const alert = page.locator("form").getByRole("alert");
  for (let i = 1; i <= 10; i++) {
    await page.getByLabel("Email").fill(victim.email);
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alert).toHaveText("That email and password do not match an account.");
    // The email typed stays in the form (React resets a form after its action).
    await expect(page.getByLabel("Email")).toHaveValue(victim.email);
    // The same message each time: wait for the form to settle before the next attempt.
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
  }
  // The eleventh attempt is refused before the password is looked at — the right one too.
  await page.getByLabel("Email").fill(victim.email);
  await page.getByLabel("Password").fill(victim.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(alert).toHaveText(/^Too many failed sign-ins for this account\. Try again in 15 minutes\.$/);
  await expect(page).toHaveURL(/\/login/);
  await page.screenshot({ path: screenshotPath("sign-in-throttled"), fullPage: true });

  // Another account signs in as usual.
  await page.getByLabel("Email").fill(bystander.email);
  await page.getByLabel("Password").fill(bystander.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  // The forms post as server actions (multipart), screened by the server before Next.js reads
  // them (lib/api/action-post-screen.ts): a well-formed one must still reach the action.
  test("the sign-in form signs in and the header's form signs out", async ({ page }) => {
    const user = await createUser("nojs");
    await page.goto("/login");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).not.toHaveURL(/\/login/);
    await page.screenshot({ path: screenshotPath("sign-in-no-js"), fullPage: true });
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login/);
  });
});
