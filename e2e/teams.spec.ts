/**
 * Teams end to end: an owner invites someone by link, they sign in through the link and join
 * as a viewer, a viewer's run is refused in words, roles change and take effect at once, a
 * removed member loses access; workspaces are created and switched; used, expired, revoked
 * and unknown links each say so.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { countRows, DEMO, screenshotPath, signIn } from "./helpers";
import { createInvitationLink, createUser, expireInvitation, signInAs, tokenStoredInClear } from "./team-helpers";

const MEMBERS_PATH = "/w/demo/settings/members";

test.describe.configure({ mode: "serial" });

const memberRow = (page: Page, email: string) => page.getByTestId(`member-${email}`);

/** A second browser, signed out, for another person. */
async function otherBrowser(browser: Browser) {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

test("invite by link → join as viewer → viewer cannot run → role changes → removed", async ({ page, browser }) => {
  const invitee = await createUser("invitee");

  // The owner opens Members from the header and creates a viewer invitation.
  await signIn(page);
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${MEMBERS_PATH}$`));
  await expect(page.getByRole("heading", { name: "Members", exact: true })).toBeVisible();
  await expect(memberRow(page, DEMO.email)).toHaveAttribute("data-role", "owner");
  await expect(page.getByTestId("members-last-owner")).toContainText("You are the only owner");
  const link = await createInvitationLink(page, "viewer");
  expect(tokenStoredInClear(link)).toBe(false);
  // The newest link is listed first while pending; follow it by its id from then on.
  const newest = page.getByTestId("invitations-list").locator("li").first();
  await expect(newest).toHaveAttribute("data-state", "pending");
  const pendingRow = page.getByTestId((await newest.getAttribute("data-testid"))!);
  await expect(pendingRow.getByTestId("invitation-state")).toHaveText("pending");
  await expect(pendingRow).toContainText("expires in 7 d");
  await page.screenshot({ path: screenshotPath("members-invited"), fullPage: true });

  // The invitee opens the link signed out, signs in through it, and comes back to it.
  const other = await otherBrowser(browser);
  const guest = other.page;
  await guest.goto(link);
  await expect(guest.getByTestId("invite-panel")).toHaveAttribute("data-state", "pending");
  await expect(guest.getByTestId("invite-title")).toHaveText("Join Demo workspace");
  await expect(guest.getByTestId("invite-role")).toHaveText("viewer");
  await guest.getByRole("link", { name: "Sign in to accept" }).click();
  await expect(guest).toHaveURL(/\/login\?callbackUrl=%2Finvite%2F/);
  await expect(guest.getByTestId("login-invite-note")).toBeVisible();
  await signInAs(guest, invitee, new RegExp(`/invite/${link.split("/invite/")[1]}$`));
  await guest.screenshot({ path: screenshotPath("invite-accept"), fullPage: true });
  await guest.getByRole("button", { name: "Join Demo workspace" }).click();
  await expect(guest).toHaveURL(/\/w\/demo\/workflows$/);
  await expect(guest.getByLabel("Workspace", { exact: true })).toHaveValue("demo");

  // The owner sees the new viewer and the link as used.
  await page.reload();
  await expect(memberRow(page, invitee.email)).toHaveAttribute("data-role", "viewer");
  await expect(pendingRow).toHaveAttribute("data-state", "used");
  await expect(pendingRow).toContainText(`by ${invitee.email}`);

  // A viewer sees the run form but cannot start a run, and is told why.
  await guest.goto("/w/demo/workflows/greet");
  const runButton = guest.getByTestId("run-form").getByRole("button", { name: "Run", exact: true });
  await expect(runButton).toBeDisabled();
  await expect(guest.getByTestId("run-form")).toContainText("Your role can view runs but not start them");

  // Made a member, the same page lets them run…
  await memberRow(page, invitee.email).getByLabel(`Role of ${invitee.email}`).selectOption("member");
  await expect(memberRow(page, invitee.email)).toHaveAttribute("data-role", "member");
  await guest.reload();
  await expect(runButton).toBeEnabled();
  // …and demoted back to viewer while the page is open, the server refuses the run in words.
  await memberRow(page, invitee.email).getByLabel(`Role of ${invitee.email}`).selectOption("viewer");
  await expect(memberRow(page, invitee.email)).toHaveAttribute("data-role", "viewer");
  const runsBefore = countRows("Run");
  await runButton.click();
  await expect(guest.getByTestId("form-error")).toHaveText("Viewers cannot start runs; ask an admin for the member role");
  await expect(guest).toHaveURL(/\/w\/demo\/workflows\/greet/);
  expect(countRows("Run")).toBe(runsBefore);
  await guest.screenshot({ path: screenshotPath("viewer-run-refused"), fullPage: true });

  // The viewer's Members page is read-only.
  await guest.goto(MEMBERS_PATH);
  await expect(guest.getByTestId("members-read-only")).toContainText("Your role here is viewer");
  await expect(guest.getByTestId("invite-form")).toHaveCount(0);
  await expect(guest.getByRole("button", { name: "Remove" })).toHaveCount(0);
  await expect(memberRow(guest, invitee.email).getByRole("button", { name: "Leave" })).toBeVisible();

  // The used link does not work a second time, for anyone.
  await guest.goto(link);
  await expect(guest.getByTestId("invite-panel")).toHaveAttribute("data-state", "member");
  await expect(guest.getByTestId("invite-title")).toHaveText("You are a member of Demo workspace");
  const third = await otherBrowser(browser);
  await third.page.goto(link);
  await expect(third.page.getByTestId("invite-panel")).toHaveAttribute("data-state", "used");
  await expect(third.page.getByTestId("invite-title")).toHaveText("This invitation link has already been used");
  await third.context.close();

  // The owner removes them, with a confirmation; they lose access at once.
  await page.reload();
  const row = memberRow(page, invitee.email);
  await row.getByRole("button", { name: "Remove" }).click();
  await expect(row.getByTestId("confirm-remove")).toContainText(`Remove ${invitee.name} from “Demo workspace”?`);
  await page.screenshot({ path: screenshotPath("members-remove-confirm"), fullPage: true });
  await row.getByRole("button", { name: "Yes, remove" }).click();
  await expect(row).toHaveCount(0);
  await guest.goto("/w/demo/workflows");
  await expect(guest.getByRole("heading", { name: "Not found" })).toBeVisible();
  // With no workspace left, they are offered to create one.
  await guest.goto("/");
  await expect(guest).toHaveURL(/\/workspaces\/new$/);
  await expect(guest.getByText("You do not belong to any workspace yet")).toBeVisible();
  await other.context.close();
});

test("create a workspace from the switcher and switch between workspaces", async ({ page }) => {
  await signIn(page);
  const switcher = page.getByLabel("Workspace", { exact: true });
  await expect(switcher).toHaveValue("demo");
  await switcher.selectOption({ label: "+ New workspace…" });
  await expect(page).toHaveURL(/\/workspaces\/new$/);

  // A taken address is refused in words.
  const form = page.getByTestId("new-workspace-form");
  await form.getByLabel("Name").fill("Demo again");
  await form.getByLabel("Address").fill("demo");
  await form.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByTestId("new-workspace-error")).toHaveText("The workspace address 'demo' is taken");

  const slug = `team-${Date.now().toString(36)}`;
  await form.getByLabel("Name").fill("Second Team");
  await form.getByLabel("Address").fill(slug);
  await page.screenshot({ path: screenshotPath("workspace-new"), fullPage: true });
  await form.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/workflows$`));
  await expect(switcher).toHaveValue(slug);
  // The new workspace is empty and has its creator as its only owner.
  await expect(page.getByTestId("workflow-greet")).toHaveCount(0);
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await expect(page.getByTestId("members-list").locator("li")).toHaveCount(1);
  await expect(memberRow(page, DEMO.email)).toHaveAttribute("data-role", "owner");

  // Switch back and forth.
  await switcher.selectOption("demo");
  await expect(page).toHaveURL(/\/w\/demo\/workflows$/);
  await expect(page.getByTestId("workflow-greet")).toBeVisible();
  await switcher.selectOption(slug);
  await expect(page).toHaveURL(new RegExp(`/w/${slug}/workflows$`));
});

test("expired, revoked and unknown invitation links say so", async ({ page, browser }) => {
  await signIn(page);
  await page.goto(MEMBERS_PATH);
  const expired = await createInvitationLink(page, "member");
  expireInvitation(expired);
  const revoked = await createInvitationLink(page, "admin", "someone@example.test");

  // Revoke the second one from the list (newest pending first), with a confirmation.
  await page.reload();
  const row = page.getByTestId("invitations-list").locator("li[data-state=pending]").filter({ hasText: "someone@example.test" });
  await expect(row).toHaveCount(1);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByTestId("confirm-revoke-invitation")).toBeVisible();
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  const revokedRow = page.getByTestId("invitations-list").locator("li[data-state=revoked]").filter({ hasText: "someone@example.test" });
  await expect(revokedRow).toHaveCount(1);
  await expect(page.getByTestId("invitations-list").locator("li[data-state=expired]").first()).toBeVisible();
  await page.screenshot({ path: screenshotPath("members-invitations"), fullPage: true });

  const stranger = await otherBrowser(browser);
  await stranger.page.goto(expired);
  await expect(stranger.page.getByTestId("invite-panel")).toHaveAttribute("data-state", "expired");
  await expect(stranger.page.getByTestId("invite-title")).toHaveText("This invitation link has expired");
  await stranger.page.screenshot({ path: screenshotPath("invite-expired"), fullPage: true });
  await stranger.page.goto(revoked);
  await expect(stranger.page.getByTestId("invite-title")).toHaveText("This invitation link was revoked");
  await stranger.page.goto("/invite/not-a-real-token-0000000000000000");
  await expect(stranger.page.getByTestId("invite-title")).toHaveText("This invitation link does not work");
  await stranger.context.close();
});
