/**
 * The runs history end to end, on a 1280 px laptop screen: filters (workflow, status, origin)
 * live in the URL and survive a reload; search finds a run by an input or output value; a
 * time range (preset or custom) lists its runs newest first, page by page;
 * Older/Newer pages keep the filters; bulk cancel stops running release-pipeline runs and
 * skips finished ones; bulk re-run starts new runs with the same inputs and version; a viewer
 * sees no bulk controls, and an attempt refused after a role change says why.
 * Runs are made through the API with the demo key; each is tagged so this spec finds its own.
 */
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { auth, BASE, waitForRun } from "./api-helpers";
import { screenshotPath, setDemoRole, signIn } from "./helpers";

test.describe.configure({ mode: "serial" });
test.use({ viewport: { width: 1280, height: 800 } });

const RUNS = "/w/demo/runs";
const tag = randomBytes(4).toString("hex");
let api: APIRequestContext;

/** Starts a run through the API. `async` returns at once (202); otherwise it waits for the result. */
async function startRun(workflow: string, inputs: Record<string, unknown>, opts: { async?: boolean; version?: number } = {}) {
  const res = await api.post(`/api/v1/workflows/${workflow}/runs`, {
    data: { inputs, ...(opts.async ? { response_mode: "async" } : {}), ...(opts.version ? { version: opts.version } : {}) },
  });
  expect([200, 202]).toContain(res.status());
  const body = await res.json();
  return body.id as string;
}

const rows = (page: Page) => page.getByTestId("runs-table").locator("tbody tr");
const row = (page: Page, uuid: string) => page.getByTestId(`run-row-${uuid}`);

/** The run ids shown in the table, top to bottom. */
async function shownIds(page: Page) {
  const ids = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-testid")!.replace("run-row-", "")));
  return ids;
}

test.beforeAll(async ({ playwright }) => {
  api = await playwright.request.newContext({ baseURL: BASE, extraHTTPHeaders: auth });
});

test.afterAll(async () => {
  setDemoRole("owner");
  await api.dispose();
});

test("filters by workflow, status and origin; the URL holds them and a reload keeps them", async ({ page }) => {
  await startRun("greet", { name: `filter-${tag}` });
  await signIn(page);
  await page.goto(RUNS);
  const filters = page.getByTestId("run-filters");
  await expect(filters).toBeVisible();

  await filters.getByTestId("filter-workflow").selectOption({ label: "Greet" });
  await expect(page).toHaveURL(/[?&]workflow=\d+/);
  await filters.getByTestId("filter-status").selectOption("succeeded");
  await expect(page).toHaveURL(/[?&]status=succeeded/);
  await filters.getByTestId("filter-origin").selectOption("api");
  await expect(page).toHaveURL(/[?&]origin=api/);
  const url = page.url();
  expect(url).toMatch(/workflow=\d+.*status=succeeded.*origin=api/);

  const check = async () => {
    await expect(rows(page).first()).toBeVisible();
    const seen = await rows(page).evaluateAll((trs) => trs.map((tr) => ({
      status: tr.getAttribute("data-status"),
      origin: tr.querySelector("[data-origin]")?.getAttribute("data-origin"),
      text: tr.textContent ?? "",
    })));
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.status).toBe("succeeded");
      expect(r.origin).toBe("api");
      expect(r.text).toContain("Greet");
    }
  };
  await check();

  await page.reload();
  expect(page.url()).toBe(url);
  await expect(filters.getByTestId("filter-status")).toHaveValue("succeeded");
  await expect(filters.getByTestId("filter-origin")).toHaveValue("api");
  await expect(filters.getByTestId("filter-workflow").locator("option:checked")).toHaveText("Greet");
  await check();

  // The page fits a laptop screen: nothing scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  await page.screenshot({ path: screenshotPath("runs-history-filtered"), fullPage: true });
});

test("search finds a run by an input value and by an output value; no match offers to clear filters", async ({ page }) => {
  const needle = await startRun("greet", { name: `Needle ${tag}` });
  await startRun("greet", { name: `Haystack ${tag}` });
  await signIn(page);
  await page.goto(RUNS);

  const search = page.getByTestId("filter-q");
  await search.fill(`needle ${tag.toUpperCase()}`);
  await search.press("Enter");
  await expect(page).toHaveURL(new RegExp(`[?&]q=needle\\+${tag.toUpperCase()}`));
  await expect(rows(page)).toHaveCount(1);
  await expect(row(page, needle)).toBeVisible();
  await expect(row(page, needle).locator("time")).toHaveAttribute("title", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

  // Only the output holds "HELLO, NEEDLE".
  await page.goto(`${RUNS}?q=${encodeURIComponent(`hello, needle ${tag}`)}`);
  await expect(rows(page)).toHaveCount(1);
  await expect(row(page, needle)).toBeVisible();
  await expect(page.getByTestId("filter-q")).toHaveValue(`hello, needle ${tag}`);

  await search.fill(`no-such-run-${tag}`);
  await search.press("Enter");
  await expect(page.getByTestId("runs-empty")).toContainText("No runs match these filters");
  await page.getByTestId("clear-filters").click();
  await expect(page).toHaveURL(new RegExp(`${RUNS}$`));
  await expect(rows(page).first()).toBeVisible();
  await expect(page.getByTestId("filter-q")).toHaveValue("");
});

test("Older and Newer pages keep the filters", async ({ page }) => {
  const made: string[] = [];
  for (let i = 0; i < 27; i++) made.push(await startRun("greet", { name: `page-${tag}-${i}` }));
  const newestFirst = [...made].reverse();
  await signIn(page);
  await page.goto(`${RUNS}?q=page-${tag}`);
  await page.getByTestId("filter-workflow").selectOption({ label: "Greet" });
  await expect(page).toHaveURL(new RegExp(`workflow=\\d+.*q=page-${tag}`));
  await expect(rows(page)).toHaveCount(25);
  expect(await shownIds(page)).toEqual(newestFirst.slice(0, 25));
  await expect(page.getByTestId("page-newer")).toHaveCount(0);

  await page.getByTestId("page-older").click();
  await expect(page).toHaveURL(new RegExp(`workflow=\\d+.*q=page-${tag}.*before=\\d+`));
  await expect(rows(page)).toHaveCount(2);
  expect(await shownIds(page)).toEqual(newestFirst.slice(25));
  await expect(page.getByTestId("page-older")).toHaveCount(0);
  await expect(page.getByTestId("filter-q")).toHaveValue(`page-${tag}`);

  await page.getByTestId("page-newer").click();
  await expect(page).toHaveURL(new RegExp(`workflow=\\d+.*q=page-${tag}.*after=\\d+`));
  await expect(rows(page)).toHaveCount(25);
  expect(await shownIds(page)).toEqual(newestFirst.slice(0, 25));
  await expect(page.getByTestId("page-newer")).toHaveCount(0);
  await expect(page.getByTestId("page-older")).toBeVisible();
});

test("a time range lists the runs created in it, newest first, page by page", async ({ page }) => {
  const made: string[] = [];
  for (let i = 0; i < 3; i++) made.push(await startRun("greet", { name: `time-${tag}-${i}` }));
  const newestFirst = [...made].reverse();
  await signIn(page);
  await page.goto(RUNS);
  const filters = page.getByTestId("run-filters");

  await filters.getByTestId("filter-range").selectOption("1h");
  await expect(page).toHaveURL(/[?&]range=1h/);
  await expect(rows(page).first()).toBeVisible();
  expect((await shownIds(page)).slice(0, 3)).toEqual(newestFirst);

  // A custom window (the browser's local time; "to" is exclusive): one with no runs, then one around now.
  const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await filters.getByTestId("filter-range").selectOption("custom");
  await filters.getByTestId("filter-from").fill("2020-01-01T00:00");
  await filters.getByTestId("filter-to").fill("2020-01-02T00:00");
  await filters.getByTestId("filter-apply-range").click();
  await expect(page).toHaveURL(/[?&]from=.*[?&]to=/);
  await expect(page.getByTestId("runs-empty")).toContainText("No runs match these filters");

  await filters.getByTestId("filter-from").fill(local(new Date(Date.now() - 86_400_000)));
  await filters.getByTestId("filter-to").fill(local(new Date(Date.now() + 86_400_000)));
  await filters.getByTestId("filter-apply-range").click();
  await expect(row(page, made[0])).toBeVisible();
  expect((await shownIds(page)).slice(0, 3)).toEqual(newestFirst);
  await page.screenshot({ path: screenshotPath("runs-history-time-range"), fullPage: true });

  // The specs before this one made more than a page of runs today: Older and Newer keep the
  // window, and the pages neither overlap nor skip.
  const first = await shownIds(page);
  expect(first).toHaveLength(25);
  await page.getByTestId("page-older").click();
  await expect(page).toHaveURL(/[?&]from=.*[?&]to=.*before=\d+/);
  await expect(rows(page).first()).toBeVisible();
  const second = await shownIds(page);
  expect(second.filter((id) => first.includes(id))).toEqual([]);
  await page.getByTestId("page-newer").click();
  await expect(page).toHaveURL(/[?&]after=\d+/);
  await expect(rows(page)).toHaveCount(25);
  expect(await shownIds(page)).toEqual(first);
});

test("bulk cancel stops running release-pipeline runs and skips finished ones", async ({ page }) => {
  const done = await startRun("release-pipeline", { release: `rel-${tag}-done` });
  expect((await waitForRun(api, done)).status).toBe("succeeded");
  await signIn(page);
  await page.goto(`${RUNS}?q=rel-${tag}`);
  await page.getByTestId("filter-workflow").selectOption({ label: "Release pipeline" });
  await expect(page).toHaveURL(/workflow=\d+/);
  await expect(rows(page)).toHaveCount(1);

  // Each run takes about 3 s: start them, then show and cancel them straight away.
  const running: string[] = [];
  for (let i = 0; i < 3; i++) running.push(await startRun("release-pipeline", { release: `rel-${tag}-${i}` }, { async: true }));
  await page.reload();
  await expect(rows(page)).toHaveCount(4);
  await page.getByTestId("select-all").check();
  await expect(page.getByTestId("selected-count")).toHaveText("4 selected");
  await page.getByTestId("bulk-cancel").click();
  await page.getByTestId("bulk-confirm-yes").click();

  const result = page.getByTestId("bulk-result");
  await expect(result).toHaveText(/^\d cancelled, \d already finished$|^Nothing to cancel: \d already finished$/);
  const text = (await result.textContent())!;
  const cancelled = Number(/(\d) cancelled/.exec(text)?.[1] ?? 0);
  const finished = Number(/(\d) already finished/.exec(text)![1]);
  expect(cancelled + finished).toBe(4);
  // The finished run is always skipped; the running ones are stopped unless one finished first.
  expect(cancelled).toBeGreaterThanOrEqual(1);

  const ended = await Promise.all(running.map((id) => waitForRun(api, id)));
  expect(ended.filter((r) => r.status === "cancelled")).toHaveLength(cancelled);
  expect((await (await api.get(`/api/v1/runs/${done}`)).json()).status).toBe("succeeded");
  await page.reload();
  for (const r of ended) await expect(row(page, r.id)).toHaveAttribute("data-status", r.status);
  await expect(page.getByTestId("bulk-result")).toHaveCount(0);
});

test("bulk re-run starts new runs with the same inputs on the same version", async ({ page }) => {
  const originals = [
    await startRun("greet", { name: `again-${tag}-a` }, { version: 1 }),
    await startRun("greet", { name: `again-${tag}-b` }, { version: 2 }),
  ];
  await signIn(page);
  await page.goto(`${RUNS}?q=again-${tag}`);
  await expect(rows(page)).toHaveCount(2);
  for (const id of originals) await page.getByTestId(`select-run-${id}`).check();
  await page.getByTestId("bulk-rerun").click();
  await page.getByTestId("bulk-confirm-yes").click();
  await expect(page.getByTestId("bulk-result")).toHaveText("2 re-runs started");
  await expect(rows(page)).toHaveCount(4);
  await expect(page.getByTestId("runs-table").locator('[data-origin="rerun"]')).toHaveCount(2);
  await expect(page.getByTestId("selected-count")).toHaveText(/Select runs/);

  const list = await (await api.get(`/api/v1/runs?origin=rerun&q=again-${tag}`)).json();
  expect(list.data).toHaveLength(2);
  for (const summary of list.data) {
    const rerun = await waitForRun(api, summary.id);
    const parent = await (await api.get(`/api/v1/runs/${summary.parent_run_id}`)).json();
    expect(originals).toContain(parent.id);
    expect(rerun.status).toBe("succeeded");
    expect(rerun.inputs).toEqual(parent.inputs);
    expect(rerun.version).toBe(parent.version);
  }
});

test("a viewer sees no bulk controls; an attempt refused after a role change says why", async ({ page }) => {
  const target = await startRun("release-pipeline", { release: `viewer-${tag}` }, { async: true });
  await signIn(page);
  await page.goto(`${RUNS}?q=viewer-${tag}`);
  await expect(rows(page)).toHaveCount(1);
  await page.getByTestId(`select-run-${target}`).check();
  await page.getByTestId("bulk-cancel").click();

  // Demoted while the page is open: the action is refused with the reason.
  setDemoRole("viewer");
  await page.getByTestId("bulk-confirm-yes").click();
  await expect(page.getByTestId("bulk-error")).toContainText("Viewers cannot cancel runs");
  expect((await waitForRun(api, target)).status).toBe("succeeded");

  await page.reload();
  await expect(rows(page)).toHaveCount(1);
  await expect(page.getByTestId("runs-read-only")).toBeVisible();
  await expect(page.getByTestId("bulk-bar")).toHaveCount(0);
  await expect(page.getByTestId("select-all")).toHaveCount(0);
  await expect(page.locator('[data-testid^="select-run-"]')).toHaveCount(0);
  // Filters still work for a viewer.
  await page.getByTestId("filter-status").selectOption("succeeded");
  await expect(page).toHaveURL(/status=succeeded/);
  await expect(rows(page)).toHaveCount(1);
  setDemoRole("owner");
});
