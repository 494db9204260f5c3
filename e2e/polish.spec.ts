/**
 * The console's polish end to end: the theme switch (System / Light / Dark) survives reloads
 * and is in the server's HTML, so a dark page never paints light first; toasts after starting
 * a run, cancelling one and revoking a key; Ctrl+Enter submits the run form and "/" jumps to
 * the runs search; loading skeletons (or the page) on navigation; danger buttons are red; and
 * screenshots of the main pages, light and dark, on 1280×800 and 1024×768 laptop screens,
 * where nothing overflows sideways and the run page's side panels move below the timeline.
 */
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { auth, BASE, waitForRun } from "./api-helpers";
import { DEMO, screenshotPath, setDemoRole, signIn } from "./helpers";

test.describe.configure({ mode: "serial" });

const tag = randomBytes(4).toString("hex");
const SLOW = `polish-slow-${tag}`;
let api: APIRequestContext;
/** A finished greet run, for the run page's screenshots. */
let runPath = "";

test.beforeAll(async ({ playwright }) => {
  setDemoRole("owner");
  api = await playwright.request.newContext({ baseURL: BASE, extraHTTPHeaders: auth });
  const res = await api.post("/api/v1/workflows/greet/runs", { data: { inputs: { name: `Polish ${tag}` } } });
  expect([200, 202]).toContain(res.status());
  const run = await waitForRun(api, (await res.json()).id);
  expect(run.status).toBe("succeeded");
  runPath = `/w/${DEMO.workspace}/runs/${run.id}`;
  // A workflow that waits a minute, so a run of it can be cancelled at leisure.
  const created = await api.post("/api/v1/workflows", {
    data: {
      name: SLOW, title: "Polish: slow", labels: ["production"],
      definition: {
        inputs: [],
        steps: [{ id: "wait", kind: "delay", name: "Wait a minute", config: { ms: 60_000, message: "Waiting" } }],
        outputs: { waited: "{{ steps.wait.output.waited_ms }}" },
      },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
});

test.afterAll(async () => {
  await api?.dispose();
});

/** Lightness (0 dark … 1 light) of a computed CSS colour: Chromium gives oklch() for Tailwind 4's palette. */
function lightness(color: string): number {
  const ok = color.match(/^oklch\(([\d.]+)(%?)/);
  if (ok) return Number(ok[1]) / (ok[2] ? 100 : 1);
  // CIE lab(): Chromium may serialise a colour-mixed Tailwind colour this way (L is 0…100).
  const lab = color.match(/^lab\(([\d.]+)/);
  if (lab) return Number(lab[1]) / 100;
  const rgb = color.match(/^rgba?\(([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/);
  if (rgb) {
    const [r, g, b] = rgb.slice(1, 4).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  }
  throw new Error(`unexpected colour ${color}`);
}

/** Whether a computed colour is a red (hue near 0–45° in oklch, or red-dominant rgb). */
function isRed(color: string): boolean {
  const ok = color.match(/^oklch\(([\d.]+)%?\s+([\d.]+)\s+([\d.]+)/);
  if (ok) {
    const [chroma, hue] = [Number(ok[2]), Number(ok[3])];
    return chroma > 0.08 && (hue < 45 || hue > 340);
  }
  const lab = color.match(/^lab\(([\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)/);
  if (lab) {
    const [a, b] = [Number(lab[2]), Number(lab[3])];
    return a > 25 && b > -25; // strongly towards red (+a), not towards blue/violet (−b)
  }
  const rgb = color.match(/^rgba?\(([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/);
  if (!rgb) throw new Error(`unexpected colour ${color}`);
  const [r, g, b] = rgb.slice(1, 4).map(Number);
  return r > 1.5 * g && r > 1.5 * b;
}

const bodyBackground = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const themeCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === "flowdeck-theme")?.value;

/** Pins a theme the way the toggle leaves it (cookie only: localStorage stays empty in a fresh context). */
async function pinTheme(context: BrowserContext, look: "light" | "dark") {
  await context.addCookies([{ name: "flowdeck-theme", value: `${look}.${look}`, url: BASE }]);
}

test("the theme toggle persists across reloads and is in the server's HTML (no light flash)", async ({ page, context, browser }) => {
  await signIn(page);
  const toggle = page.getByRole("radiogroup", { name: "Theme" });
  await expect(toggle).toBeVisible();
  const html = page.locator("html");

  // Dark: applied at once, stored in localStorage and the cookie.
  await toggle.getByRole("radio", { name: "Dark theme" }).click();
  await expect(html).toHaveClass(/(^|\s)dark(\s|$)/);
  await expect(toggle.getByRole("radio", { name: "Dark theme" })).toHaveAttribute("aria-checked", "true");
  expect(lightness(await bodyBackground(page))).toBeLessThan(0.3);
  expect(await page.evaluate(() => localStorage.getItem("flowdeck-theme"))).toBe("dark");
  expect(await themeCookie(context)).toBe("dark.dark");

  // The server's HTML already carries the class, so the first paint is dark.
  const served = await (await page.request.get("/w/demo/workflows")).text();
  expect(served).toMatch(/<html[^>]*\bclass="dark"/);

  await page.reload();
  await expect(html).toHaveClass(/(^|\s)dark(\s|$)/);
  await expect(toggle.getByRole("radio", { name: "Dark theme" })).toHaveAttribute("aria-checked", "true");
  await page.screenshot({ path: screenshotPath("polish-theme-dark"), fullPage: true });

  // Proof of no flash: with JavaScript off entirely, the same cookie still gives a dark page.
  const noJs = await browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const still = await noJs.newPage();
  await still.goto("/w/demo/runs");
  await expect(still.locator("html")).toHaveClass(/(^|\s)dark(\s|$)/);
  expect(lightness(await bodyBackground(still))).toBeLessThan(0.3);
  await noJs.close();

  // Light pins light, even when the system prefers dark.
  await page.emulateMedia({ colorScheme: "dark" });
  await toggle.getByRole("radio", { name: "Light theme" }).click();
  await expect(html).not.toHaveClass(/(^|\s)dark(\s|$)/);
  expect(lightness(await bodyBackground(page))).toBeGreaterThan(0.8);
  expect(await themeCookie(context)).toBe("light.light");
  expect(await (await page.request.get("/w/demo/workflows")).text()).toMatch(/<html[^>]*\bclass="light"/);

  // System follows the operating system, live, and the keyboard moves between the options.
  await toggle.getByRole("radio", { name: "System theme" }).click();
  await expect(html).toHaveClass(/(^|\s)dark(\s|$)/);
  expect(await themeCookie(context)).toBe("system.dark");
  await page.emulateMedia({ colorScheme: "light" });
  await expect(html).not.toHaveClass(/(^|\s)dark(\s|$)/);
  expect(await themeCookie(context)).toBe("system.light");
  await toggle.getByRole("radio", { name: "System theme" }).press("ArrowRight");
  await expect(toggle.getByRole("radio", { name: "Light theme" })).toHaveAttribute("aria-checked", "true");
  await expect(toggle.getByRole("radio", { name: "Light theme" })).toBeFocused();
  await page.keyboard.press("ArrowRight");
  await expect(html).toHaveClass(/(^|\s)dark(\s|$)/);
  await page.reload();
  await expect(toggle.getByRole("radio", { name: "Dark theme" })).toHaveAttribute("aria-checked", "true");
});

test("Ctrl+Enter submits the run form, and a toast says the run started", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/workflows/greet");
  const form = page.getByTestId("run-form");
  await expect(form.getByTestId("key-hint")).toBeVisible();
  const name = form.getByLabel(/Name/);
  await name.fill(`Keyboard ${tag}`);
  await name.press("Control+Enter");

  await expect(page).toHaveURL(/\/w\/demo\/runs\/[0-9a-f-]{36}$/);
  const toast = page.getByTestId("toast").filter({ hasText: "Run started" });
  await expect(toast).toBeVisible();
  await expect(toast).toHaveAttribute("role", "status");
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByTestId("run-inputs")).toContainText(`Keyboard ${tag}`);
  await page.screenshot({ path: screenshotPath("polish-toast-run-started") });
  await toast.getByRole("button", { name: "Dismiss notification" }).click();
  await expect(toast).toHaveCount(0);

  // Toasts leave on their own too.
  await page.goto("/w/demo/workflows/greet");
  await form.getByLabel(/Name/).fill(`Button ${tag}`);
  await form.getByRole("button", { name: "Run", exact: true }).click();
  const second = page.getByTestId("toast").filter({ hasText: "Run started" });
  await expect(second).toBeVisible();
  await expect(second).toHaveCount(0, { timeout: 10_000 });
});

test("cancelling a run shows a toast beside the run's own state", async ({ page }) => {
  await signIn(page);
  const res = await api.post(`/api/v1/workflows/${SLOW}/runs`, { data: { inputs: {}, response_mode: "async" } });
  expect(res.status(), await res.text()).toBe(202);
  const id = (await res.json()).id as string;
  await page.goto(`/w/demo/runs/${id}`);
  const cancel = page.getByTestId("cancel-run");
  await expect(cancel).toBeVisible();
  // A destructive button is red.
  expect(isRed(await cancel.evaluate((el) => getComputedStyle(el).backgroundColor))).toBe(true);
  await cancel.click();
  await expect(page.getByTestId("toast").filter({ hasText: "Cancel requested" })).toBeVisible();
  await expect(page.getByTestId("run-status")).toContainText("cancelled");
});

test("revoking an API key: the button is red, and toasts confirm creation and revocation", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/settings/api-keys");
  const form = page.getByTestId("new-key-form");
  const name = `Polish key ${tag}`;
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: `Key “${name}” created` })).toBeVisible();
  const key = await page.getByTestId("new-key-value").inputValue();
  await page.getByTestId("new-key-panel").getByRole("button", { name: "Done" }).click();

  const row = page.getByTestId("api-keys-list").locator("li")
    .filter({ has: page.getByTestId("api-key-masked").getByText(`fd_…${key.slice(-4)}`, { exact: true }) });
  const revoke = row.getByRole("button", { name: "Revoke", exact: true });
  expect(isRed(await revoke.evaluate((el) => getComputedStyle(el).color))).toBe(true);
  await revoke.click();
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  const toast = page.getByTestId("toast").filter({ hasText: `Key “${name}” revoked` });
  await expect(toast).toBeVisible();
  await expect(toast).toHaveAttribute("role", "status");
  // The inline state is still there: toasts come in addition.
  await expect(row.getByTestId("api-key-revoked")).toHaveText("revoked");
  await page.screenshot({ path: screenshotPath("polish-toast-key-revoked"), fullPage: true });
});

test("'/' focuses the runs search from anywhere on the page", async ({ page }) => {
  await signIn(page);
  await page.goto("/w/demo/runs");
  const search = page.getByTestId("filter-q");
  await expect(search).toBeVisible();
  await expect(page.getByTestId("run-filters").getByTestId("key-hint")).toBeVisible();
  await expect(search).not.toBeFocused();
  // The shortcut listens once the page is interactive: press until it answers.
  await expect(async () => {
    await page.keyboard.press("/");
    await expect(search).toBeFocused({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await expect(search).toHaveValue("");
  await expect(page.getByTestId("run-filters").getByTestId("key-hint")).toBeHidden();
  // Inside a field, "/" is just a character.
  await page.keyboard.type("a/b");
  await expect(search).toHaveValue("a/b");
});

test("navigating shows a loading skeleton (or the page at once), then the page", async ({ page }) => {
  await signIn(page);
  // Hold the page data (not the prefetched loading shell) a moment, so a skeleton has time to show.
  await page.route(/\/w\/demo\/(runs|workflows|settings\/api-keys)(\?|$)/, async (route) => {
    const h = route.request().headers();
    if (h.rsc && !h["next-router-prefetch"] && !h["next-router-segment-prefetch"]) await new Promise((r) => setTimeout(r, 1_500));
    await route.fallback();
  });
  await page.waitForLoadState("networkidle");

  const cases = [
    { link: "Runs", skeleton: "runs-skeleton", heading: "Runs" },
    { link: "API keys", skeleton: "settings-skeleton", heading: "API keys" },
    { link: "Workflows", skeleton: "workflows-skeleton", heading: "Workflows" },
  ];
  for (const c of cases) {
    const link = page.getByTestId("header-nav").getByRole("link", { name: c.link, exact: true });
    // Hovering prefetches the route's loading shell; give it a moment to arrive.
    await link.hover();
    await page.waitForTimeout(500);
    await link.click();
    const skeleton = page.getByTestId(c.skeleton);
    const heading = page.getByRole("heading", { name: c.heading, exact: true });
    await expect(skeleton.or(heading).first()).toBeVisible();
    if (await skeleton.isVisible()) {
      await expect(skeleton).toHaveAttribute("aria-busy", "true");
      await page.screenshot({ path: screenshotPath(`polish-skeleton-${c.skeleton}`) });
      test.info().annotations.push({ type: "skeleton", description: `${c.skeleton} shown` });
    } else {
      test.info().annotations.push({ type: "skeleton", description: `${c.link}: page arrived before a skeleton showed` });
    }
    await expect(heading).toBeVisible();
    await expect(skeleton).toHaveCount(0);
  }
});

const PAGES = [
  { name: "workflows", path: "/w/demo/workflows", ready: (p: Page) => p.getByTestId("workflow-greet") },
  { name: "workflow", path: "/w/demo/workflows/greet", ready: (p: Page) => p.getByTestId("run-form") },
  { name: "versions", path: "/w/demo/workflows/greet/versions", ready: (p: Page) => p.getByTestId("versions-list") },
  { name: "edit", path: "/w/demo/workflows/greet/edit", ready: (p: Page) => p.getByTestId("definition-status") },
  { name: "run", path: () => runPath, ready: (p: Page) => p.getByTestId("run-view").and(p.locator("[data-ended=true]")) },
  { name: "runs", path: "/w/demo/runs", ready: (p: Page) => p.getByTestId("runs-table") },
  { name: "api-keys", path: "/w/demo/settings/api-keys", ready: (p: Page) => p.getByTestId("new-key-form") },
  { name: "members", path: "/w/demo/settings/members", ready: (p: Page) => p.getByTestId("members-list") },
  { name: "secrets", path: "/w/demo/settings/secrets", ready: (p: Page) => p.getByRole("heading", { name: "Secrets", exact: true }) },
  { name: "share-links", path: "/w/demo/settings/share-links", ready: (p: Page) => p.getByRole("heading", { name: "Share links", exact: true }) },
];

for (const size of [{ width: 1280, height: 800 }, { width: 1024, height: 768 }]) {
  test(`main pages, light and dark, at ${size.width}×${size.height}: readable, nothing overflows`, async ({ page, context }) => {
    test.setTimeout(180_000);
    await page.setViewportSize(size);
    await signIn(page);
    for (const look of ["light", "dark"] as const) {
      await pinTheme(context, look);
      for (const p of PAGES) {
        await page.goto(typeof p.path === "function" ? p.path() : p.path);
        await expect(p.ready(page)).toBeVisible();
        await expect(page.locator("html")).toHaveClass(new RegExp(`(^|\\s)${look}(\\s|$)`));
        const bg = lightness(await bodyBackground(page));
        expect(look === "dark" ? bg < 0.3 : bg > 0.8, `${p.name} background in ${look}`).toBe(true);
        // No sideways scrolling of the page: wide tables scroll inside their own box.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${p.name} overflows sideways by ${overflow}px`).toBeLessThanOrEqual(0);
        const header = await page.locator("header").first().evaluate((el) => el.scrollWidth - el.clientWidth);
        expect(header, `${p.name} header overflows`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: screenshotPath(`polish-${p.name}-${look}-${size.width}x${size.height}`), fullPage: true });
      }
    }

    const nav = page.getByTestId("header-nav");
    await page.goto("/w/demo/workflows");
    if (size.width >= 1280) {
      // Every page's link is in the header.
      for (const name of ["Workflows", "Runs", "Secrets", "API keys", "Members", "Share links"]) {
        await expect(nav.getByRole("link", { name, exact: true })).toBeVisible();
      }
      await expect(page.getByTestId("settings-menu-button")).toBeHidden();
    } else {
      // The settings pages fold into a menu; it opens, lists them, and leads to them.
      await expect(nav.getByRole("link", { name: "Members", exact: true })).toBeHidden();
      await page.getByTestId("settings-menu-button").click();
      const menu = page.getByTestId("settings-menu");
      for (const name of ["Secrets", "API keys", "Members", "Share links"]) {
        await expect(menu.getByRole("link", { name, exact: true })).toBeVisible();
      }
      await page.screenshot({ path: screenshotPath(`polish-settings-menu-${size.width}x${size.height}`) });
      await page.keyboard.press("Escape");
      await expect(menu).toHaveCount(0);
      await page.getByTestId("settings-menu-button").click();
      await menu.getByRole("link", { name: "Members", exact: true }).click();
      await expect(page).toHaveURL(/\/settings\/members$/);
      await expect(page.getByTestId("settings-menu-button")).toContainText("Members");
    }

    // The run page: side panels beside the timeline on a wide screen, below it on a small one.
    await page.goto(runPath);
    const timeline = (await page.getByTestId("timeline").boundingBox())!;
    const details = (await page.getByTestId("run-details").boundingBox())!;
    if (size.width >= 1280) expect(details.x).toBeGreaterThan(timeline.x + timeline.width);
    else expect(details.y).toBeGreaterThan(timeline.y + timeline.height);
  });
}
