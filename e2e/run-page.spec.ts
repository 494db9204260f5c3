/**
 * The run page against the production server, with workflows made for it over the API:
 * - a live waterfall (a bar per step, growing while it runs, durations, a skipped branch);
 * - logs with level and step filters, progress, outputs (markdown, JSON tree, a downloaded
 *   file), inputs, metadata, version and label, origin, and callback deliveries;
 * - cancel → cancelled within a couple of seconds;
 * - thousands of LLM tokens (the fake OpenAI server) streamed smoothly and exactly;
 * - a dropped stream resumed from Last-Event-ID with nothing lost or repeated;
 * - re-runs: same inputs, edited inputs, another label, another version, from a step (the
 *   kept steps marked reused), with lineage on both runs.
 * Each test makes its own runs, so one failing test does not take the others with it.
 */
import { expect, test, type APIRequestContext, type Page, type Route } from "@playwright/test";
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import path from "node:path";
import { encryptSecret } from "../lib/security/secret-box";
import { FAKE_OPENAI_API_KEY, FAKE_OPENAI_MODEL, startFakeOpenAI, type FakeOpenAI } from "../scripts/fake-openai";
import { auth, BASE, parseSse, startReceiver, waitForRun, type Frame } from "./api-helpers";
import { DEMO, screenshotPath, signIn } from "./helpers";

// scripts/e2e-server.sh lets the server reach this private address (FLOWDECK_FETCH_ALLOW).
const FAKE_PORT = 3195;
const SECRET = "run_page_llm";
const TOPIC = "Run page tour";
const RUN_URL = /\/w\/demo\/runs\/[0-9a-f-]{36}$/;

let api: APIRequestContext;
let fake: FakeOpenAI;
const tag = Date.now().toString(36);
const WF = {
  /** Slow first step (5 s), so the page can be watched while it runs. */
  tour: `rp-tour-${tag}`,
  /** The same shape with a short first step, v1 (production) and v2 (staging). */
  rerun: `rp-rerun-${tag}`,
  /** One minute of waiting: something to cancel. */
  slow: `rp-slow-${tag}`,
  /** An LLM answer (fake provider) beside a ticking delay, then a step that logs. */
  story: `rp-story-${tag}`,
};

/** warm up (delay) → inspect (code, logs at four levels) → branch on mode → long or short text → report. */
function tourDefinition(warmupMs: number, heading = "## {{ inputs.topic }}") {
  return {
    inputs: [
      { name: "topic", type: "text", label: "Topic", default: "Flowdeck" },
      { name: "mode", type: "select", label: "Mode", options: ["long", "short"], default: "long" },
      { name: "attachment", type: "file", label: "Attachment", required: false },
    ],
    steps: [
      { id: "warmup", kind: "delay", name: "Warm up", config: { ms: warmupMs, message: "Warming up" } },
      {
        id: "inspect", kind: "code", name: "Inspect the topic", needs: ["warmup"],
        config: {
          code: [
            "console.debug('debug: topic has ' + inputs.topic.length + ' characters');",
            "console.log('info: inspecting ' + inputs.topic);",
            "console.warn('warn: this is only a test');",
            "console.error('error: nothing is really wrong');",
            "return { topic: inputs.topic, words: inputs.topic.split(' ').length, nested: { list: [1, 2, 3], flag: true } };",
          ].join("\n"),
        },
      },
      {
        id: "route", kind: "branch", name: "Long or short?", needs: ["inspect"],
        config: { cases: [{ name: "long form", when: "inputs.mode = 'long'", steps: ["long_text"] }], else: ["short_text"] },
      },
      { id: "long_text", kind: "template", name: "Long text", config: { template: `${heading}\n\nA **long** report:\n\n- first point\n- second point\n` } },
      { id: "short_text", kind: "template", name: "Short text", config: { template: "Short: {{ inputs.topic }}" } },
      {
        id: "report", kind: "template", name: "Report", join: "any", needs: ["long_text", "short_text"],
        config: { template: "{{ steps.long_text.output }}{{ steps.short_text.output }}" },
      },
    ],
    outputs: { report: "{{ steps.report.output }}", details: "{{ steps.inspect.output }}", attachment: "{{ inputs.attachment }}" },
  };
}

const slowDefinition = {
  inputs: [],
  steps: [
    { id: "wait", kind: "delay", name: "Wait a minute", config: { ms: 60_000, message: "Waiting" } },
    { id: "after", kind: "template", name: "After the wait", needs: ["wait"], config: { template: "done" } },
  ],
  outputs: { result: "{{ steps.after.output }}" },
};

const storyDefinition = {
  inputs: [{ name: "question", type: "text", label: "Question", multiline: true }],
  steps: [
    { id: "ticker", kind: "delay", name: "Keep time", config: { ms: 1500, message: "Ticking while the model writes" } },
    { id: "answer", kind: "llm", name: "Ask the model", timeout_ms: 120_000, config: { provider: SECRET, prompt: "{{ inputs.question }}" } },
    {
      id: "tally", kind: "code", name: "Count the words", needs: ["answer"],
      config: { code: "const words = steps.answer.output.text.split(' ').length;\nconsole.log('counted ' + words + ' words');\nconsole.warn('that was a long answer');\nreturn { words };" },
    },
  ],
  outputs: { answer: "{{ steps.answer.output.text }}", words: "{{ steps.tally.output.words }}" },
};

/** Puts the fake provider into a workspace secret of its own (sealed as the server seals secrets). */
function writeSecret(value: string | null) {
  process.env.FLOWDECK_SECRET_KEY ??= "e2e-secret-key-not-for-production";
  const db = new Database(path.resolve("data/e2e/flowdeck.db"), { fileMustExist: true, timeout: 10_000 });
  try {
    const ws = db.prepare('SELECT "id" FROM "Workspace" WHERE "slug" = ?').get(DEMO.workspace) as { id: number };
    if (value === null) {
      db.prepare('DELETE FROM "Secret" WHERE "workspaceId" = ? AND "name" = ?').run(ws.id, SECRET);
      return;
    }
    const now = new Date().toISOString().replace("Z", "+00:00");
    db.prepare(`INSERT INTO "Secret" ("workspaceId", "name", "ciphertext", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)
      ON CONFLICT ("workspaceId", "name") DO UPDATE SET "ciphertext" = excluded."ciphertext", "updatedAt" = excluded."updatedAt"`)
      .run(ws.id, SECRET, encryptSecret(value), now, now);
  } finally {
    db.close();
  }
}

async function createWorkflow(name: string, title: string, definition: unknown, labels: string[]) {
  const res = await api.post("/api/v1/workflows", { data: { name, title, labels, definition } });
  expect(res.status(), await res.text()).toBe(201);
}

test.beforeAll(async ({ playwright }) => {
  api = await playwright.request.newContext({ baseURL: BASE, extraHTTPHeaders: auth });
  await createWorkflow(WF.tour, "Run page tour", tourDefinition(5000), ["production"]);
  await createWorkflow(WF.rerun, "Re-run tour", tourDefinition(400), ["production"]);
  const v2 = await api.post(`/api/v1/workflows/${WF.rerun}/versions`, {
    data: { message: "headline says v2", labels: ["staging"], definition: tourDefinition(400, "## {{ inputs.topic }} (v2)") },
  });
  expect(v2.status(), await v2.text()).toBe(201);
  await createWorkflow(WF.slow, "Slow run", slowDefinition, ["production"]);
  await createWorkflow(WF.story, "Long story", storyDefinition, ["production"]);
  fake = await startFakeOpenAI({ host: "127.0.0.1", port: FAKE_PORT, tokenDelayMs: 2 });
  writeSecret(JSON.stringify({ base_url: fake.url, api_key: FAKE_OPENAI_API_KEY, model: FAKE_OPENAI_MODEL }));
});

test.afterAll(async () => {
  writeSecret(null);
  await fake?.close();
  await api?.dispose();
});

/** Starts a run over the API; async answers at once (202), otherwise it waits for the end. */
async function startRun(workflow: string, body: Record<string, unknown>, mode: "async" | "blocking" = "async"): Promise<string> {
  const res = await api.post(`/api/v1/workflows/${workflow}/runs`, { data: { ...body, response_mode: mode } });
  expect([200, 202], await res.text()).toContain(res.status());
  return (await res.json()).id as string;
}

const runIdOf = (page: Page) => new URL(page.url()).pathname.split("/").pop()!;
const runStatus = (page: Page) => page.getByTestId("run-status").locator("[data-status]");
const ended = (page: Page, timeout = 30_000) => expect(page.getByTestId("run-view")).toHaveAttribute("data-ended", "true", { timeout });

/** Every step row's status, read in one go (so a reading cannot straddle two moments). */
const stepStatuses = (page: Page) =>
  page.getByTestId("timeline").locator("li[data-status]").evaluateAll((els) =>
    Object.fromEntries(els.map((el) => [el.getAttribute("data-testid")!.replace(/^step-/, ""), el.getAttribute("data-status")])),
  );

async function bar(page: Page, stepId: string) {
  const el = page.getByTestId(`bar-${stepId}`);
  return { offset: Number(await el.getAttribute("data-offset-ms")), duration: Number(await el.getAttribute("data-duration-ms")) };
}

/** A run's stored events, from the API (a finished run's stream replays everything and closes). */
async function storedEvents(runId: string): Promise<Frame[]> {
  const res = await api.get(`/api/v1/runs/${runId}/events`);
  expect(res.status()).toBe(200);
  return parseSse(await res.text());
}

/** What the fake provider answers to `tokens:N`, asked directly (no streaming). */
async function fakeAnswer(tokens: number): Promise<string> {
  const res = await fetch(`${fake.url}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${FAKE_OPENAI_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: FAKE_OPENAI_MODEL, messages: [{ role: "user", content: `tokens:${tokens}` }] }),
  });
  const text = (await res.json()).choices[0].message.content as string;
  expect(text.split(" ")).toHaveLength(tokens);
  return text;
}

test("an API run with a callback: the live waterfall, then states, durations, a skipped branch, logs, outputs and details", async ({ page, request }) => {
  test.setTimeout(120_000);
  const receiver = await startReceiver((n) => (n === 1 ? { status: 500, body: "not yet" } : { status: 200, body: "ok" }));
  try {
    const fileText = `Notes for ${TOPIC}\nline two\n`;
    const upload = await request.post("/api/v1/files", {
      headers: auth, multipart: { file: { name: "tour-notes.txt", mimeType: "text/plain", buffer: Buffer.from(fileText) } },
    });
    expect(upload.status()).toBe(201);
    const file = await upload.json();

    await signIn(page);
    const runId = await startRun(WF.tour, {
      label: "production", inputs: { topic: TOPIC, mode: "long", attachment: file.id },
      metadata: { ticket: "RP-7", team: "ops" }, external_id: `tour-${tag}`, callback_url: `${receiver.url}/hooks/run-page`,
    });
    await page.goto(`/w/demo/runs/${runId}`);

    await test.step("live: the first step runs, its bar grows, its progress shows, later steps wait", async () => {
      await expect(page.getByTestId("step-warmup")).toHaveAttribute("data-status", "running");
      await expect(runStatus(page)).toHaveAttribute("data-status", "running");
      await expect(page.getByTestId("stream-state")).toHaveAttribute("data-state", "live");
      await expect(page.getByTestId("progress-warmup")).toContainText(/\d+%/);
      const first = await bar(page, "warmup");
      await expect.poll(async () => (await bar(page, "warmup")).duration, { intervals: [100] }).toBeGreaterThan(first.duration + 200);
      await expect(page.getByTestId("duration-warmup")).not.toHaveText("");
      // Read in one go (the warm-up may end while this step runs on a slow machine): a step
      // that has not started has no bar.
      const live = await page.getByTestId("timeline").evaluate((el) => ({
        warmup: el.querySelector('[data-testid="step-warmup"]')?.getAttribute("data-status"),
        inspect: el.querySelector('[data-testid="step-inspect"]')?.getAttribute("data-status"),
        report: el.querySelector('[data-testid="step-report"]')?.getAttribute("data-status"),
        inspectBar: el.querySelector('[data-testid="bar-inspect"]') != null,
      }));
      if (live.warmup === "running") expect(live).toMatchObject({ inspect: "pending", report: "pending", inspectBar: false });
      else test.info().annotations.push({ type: "note", description: "warm-up ended before the live check; pending-bar check skipped" });
      await expect(page.getByTestId("cancel-run")).toBeVisible();
      await expect(page.getByTestId("run-outputs")).toContainText("Waiting for the run to finish");
      await page.screenshot({ path: screenshotPath("run-page-live"), fullPage: true });
    });

    await test.step("finished: every step's state, a waterfall in order, durations, the skipped branch", async () => {
      await ended(page);
      await expect(runStatus(page)).toHaveAttribute("data-status", "succeeded");
      expect(await stepStatuses(page)).toEqual({
        warmup: "succeeded", inspect: "succeeded", route: "succeeded", long_text: "succeeded", short_text: "skipped", report: "succeeded",
      });
      const warmup = await bar(page, "warmup");
      const inspect = await bar(page, "inspect");
      const route = await bar(page, "route");
      const report = await bar(page, "report");
      expect(warmup.offset).toBeGreaterThanOrEqual(0);
      expect(warmup.offset).toBeLessThan(1000);
      expect(warmup.duration).toBeGreaterThanOrEqual(4900);
      expect(warmup.duration).toBeLessThan(9000);
      // Waterfall: each step starts once the one it needs has finished.
      expect(inspect.offset).toBeGreaterThanOrEqual(warmup.offset + warmup.duration - 100);
      expect(route.offset).toBeGreaterThanOrEqual(inspect.offset + inspect.duration - 100);
      expect(report.offset).toBeGreaterThanOrEqual(route.offset);
      await expect(page.getByTestId("duration-warmup")).toHaveText(/^\d+\.\d\d s$/);
      await expect(page.getByTestId("duration-inspect")).toHaveText(/^\d+(\.\d+)? m?s$/);
      expect(Number(await page.getByTestId("timeline").getAttribute("data-span-ms"))).toBeGreaterThanOrEqual(warmup.duration);
      await expect(page.getByTestId("skip-reason-short_text")).toHaveText("Skipped: branch 'route' took long form");
      await expect(page.getByTestId("duration-short_text")).toHaveText("0 ms");
      await expect(page.getByTestId("run-duration")).toHaveText(/^\d+\.\d\d s$/);
      await expect(page.getByTestId("stream-state")).toHaveCount(0);
      await expect(page.getByTestId("cancel-run")).toHaveCount(0);
      await expect(page.getByTestId("progress-warmup")).toHaveCount(0);
      await page.screenshot({ path: screenshotPath("run-page-finished"), fullPage: true });
    });

    await test.step("logs: levels with counts, level and step filters", async () => {
      const logs = page.getByTestId("run-logs");
      const lines = () => logs.getByTestId("log-line").evaluateAll((els) => els.map((el) => `${el.getAttribute("data-level")} ${el.textContent}`));
      const all = await lines();
      const count = (level: string) => all.filter((l) => l.startsWith(`${level} `)).length;
      expect([count("debug"), count("warn"), count("error")]).toEqual([1, 1, 1]);
      expect(count("info")).toBeGreaterThanOrEqual(2);
      expect(all.find((l) => l.startsWith("debug "))).toContain("[inspect]debug: topic has 13 characters");
      expect(all.find((l) => l.startsWith("error "))).toContain("error: nothing is really wrong");
      expect(all.some((l) => l.includes("[warmup]Warming up"))).toBe(true);
      for (const level of ["debug", "info", "warn", "error"]) {
        await expect(page.getByTestId(`log-level-${level}`)).toHaveText(`${level} ${count(level)}`);
        await expect(page.getByTestId(`log-level-${level}`)).toHaveAttribute("aria-pressed", "true");
      }
      await expect(logs).toHaveAttribute("data-shown", String(all.length));

      await page.getByTestId("log-level-info").click();
      await expect(page.getByTestId("log-level-info")).toHaveAttribute("aria-pressed", "false");
      await expect(logs).toHaveAttribute("data-shown", String(all.length - count("info")));
      await expect(logs.locator('[data-level="info"]')).toHaveCount(0);
      await page.getByTestId("log-level-warn").click();
      await page.getByTestId("log-level-error").click();
      await expect(logs).toHaveAttribute("data-shown", "1");
      await expect(logs.getByTestId("log-line")).toHaveAttribute("data-level", "debug");
      await page.screenshot({ path: screenshotPath("run-page-logs-filtered"), fullPage: true });
      await page.getByRole("toolbar", { name: "Filter log lines" }).getByRole("button", { name: "show all" }).click();
      await expect(logs).toHaveAttribute("data-shown", String(all.length));

      await page.getByTestId("log-step-filter").selectOption("inspect");
      await expect(logs).toHaveAttribute("data-shown", "4");
      expect((await lines()).every((l) => l.includes("[inspect]"))).toBe(true);
      await page.getByTestId("log-step-filter").selectOption("");
      await expect(logs).toHaveAttribute("data-shown", String(all.length));
    });

    await test.step("outputs: rendered markdown, a JSON tree, a file that downloads", async () => {
      const report = page.getByTestId("output-report").getByTestId("markdown-output");
      await expect(report.locator("h2")).toHaveText(TOPIC);
      await expect(report.locator("strong")).toHaveText("long");
      await expect(report.locator("li")).toHaveText(["first point", "second point"]);

      const details = page.getByTestId("output-details").getByTestId("json-tree");
      await expect(details).toContainText(`topic: "${TOPIC}"`);
      await expect(details).toContainText("words: 3");
      await expect(details).toContainText("flag: true");
      await expect(details).toContainText("3 items"); // the list, folded at depth 2
      await details.getByRole("button", { name: "Expand" }).click();
      await expect(details.getByRole("button", { name: "Expand" })).toHaveCount(0);
      await expect(details).not.toContainText("3 items");

      const link = page.getByTestId("output-attachment").getByTestId("file-download");
      await expect(link).toHaveText("tour-notes.txt");
      await expect(page.getByTestId("output-attachment").getByTestId("file-value")).toContainText("text/plain");
      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      expect(download.suggestedFilename()).toBe("tour-notes.txt");
      expect(readFileSync(await download.path()).toString("utf8")).toBe(fileText);
    });

    await test.step("inputs, metadata, version and label, origin", async () => {
      await expect(page.getByTestId("input-topic")).toContainText(TOPIC);
      await expect(page.getByTestId("input-mode")).toContainText("long");
      await expect(page.getByTestId("input-attachment").getByTestId("file-value")).toContainText("tour-notes.txt");
      await expect(page.getByTestId("metadata-ticket")).toHaveText(/ticket\s*RP-7/);
      await expect(page.getByTestId("metadata-team")).toHaveText(/team\s*ops/);
      await expect(page.getByTestId("detail-external-id")).toContainText(`tour-${tag}`);
      await expect(page.getByTestId("run-version")).toHaveText("v1");
      await expect(page.getByTestId("run-label")).toHaveText("production");
      await expect(page.getByTestId("detail-version")).toContainText(/v1\s*via label\s*production/);
      await expect(page.locator("p", { has: page.getByTestId("run-id") }).locator("[data-origin]")).toHaveText("API");
      await expect(page.getByTestId("detail-origin").locator("[data-origin]")).toHaveAttribute("data-origin", "api");
      await expect(page.getByTestId("run-id")).toHaveText(runId);
    });

    await test.step("callback deliveries: a failed attempt, then the retry that got through", async () => {
      await expect(page.getByTestId("callback-url")).toHaveText(`POST ${receiver.url}/hooks/run-page`);
      await expect.poll(() => receiver.requests.length, { timeout: 30_000 }).toBe(2);
      await expect.poll(async () => (await waitForRun(request, runId)).callback.deliveries.map((d: { state: string }) => d.state), { timeout: 10_000 })
        .toEqual(["failed", "delivered"]);
      await page.reload();
      const rows = page.getByTestId("callback-deliveries").getByTestId("callback-delivery");
      await expect(rows).toHaveCount(2);
      await expect(rows.nth(0)).toHaveAttribute("data-state", "failed");
      await expect(rows.nth(0)).toContainText("500");
      await expect(rows.nth(1)).toHaveAttribute("data-state", "delivered");
      await expect(rows.nth(1)).toContainText("200");
      await expect(page.getByText("Callback (2 attempts)")).toBeVisible();
      await page.getByTestId("callback-deliveries").scrollIntoViewIfNeeded();
      await page.screenshot({ path: screenshotPath("run-page-callback"), fullPage: true });
    });

    await test.step("dark mode", async () => {
      await page.emulateMedia({ colorScheme: "dark" });
      await page.context().addCookies([{ name: "flowdeck-theme", value: "system.dark", url: BASE }]);
      await page.reload();
      await expect(page.getByTestId("run-view")).toHaveAttribute("data-ended", "true");
      await page.screenshot({ path: screenshotPath("run-page-dark"), fullPage: true });
    });
  } finally {
    await receiver.close();
  }
});

test("cancel a running run (started in the console): the page shows it cancelled within two seconds", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/demo/workflows/${WF.slow}`);
  await page.getByTestId("run-form").getByRole("button", { name: "Run", exact: true }).click();
  await expect(page).toHaveURL(RUN_URL);
  const runId = runIdOf(page);
  await expect(page.locator("p", { has: page.getByTestId("run-id") }).locator("[data-origin]")).toHaveText("Console");
  await expect(page.getByTestId("step-wait")).toHaveAttribute("data-status", "running");
  await expect(page.getByTestId("stream-state")).toHaveAttribute("data-state", "live");
  const cancel = page.getByTestId("cancel-run");
  await expect(cancel).toHaveText("Cancel run");
  const clicked = Date.now();
  await cancel.click();
  // Polled every 50 ms, so the time measured is the page's, not the polling's.
  await expect.poll(() => page.evaluate(() => document.querySelector('[data-testid="run-status"] [data-status]')?.getAttribute("data-status")),
    { intervals: [50], timeout: 5_000 }).toBe("cancelled");
  const took = Date.now() - clicked;
  expect(took).toBeLessThan(2_500);
  await expect(page.getByTestId("step-wait")).toHaveAttribute("data-status", "cancelled");
  await expect(page.getByTestId("step-after")).not.toHaveAttribute("data-status", "succeeded");
  expect((await bar(page, "wait")).duration).toBeLessThan(30_000);
  await expect(page.getByTestId("cancel-run")).toHaveCount(0);
  await expect(page.getByTestId("run-cancelling")).toHaveCount(0);
  await page.screenshot({ path: screenshotPath("run-page-cancelled"), fullPage: true });

  const run = await waitForRun(api, runId);
  expect(run.status).toBe("cancelled");
  expect(run.error?.code).toBe("cancelled");
});

declare global {
  interface Window {
    __rpProbe?: { longTaskSupported: boolean; longTasks: [number, number][]; samples: [number, number, string][] };
    __rpStates?: string[];
  }
}

test("thousands of tokens stream in token by token, the page stays smooth, and the text is exact", async ({ page }) => {
  test.setTimeout(120_000);
  const TOKENS = 3000;
  const expected = await fakeAnswer(TOKENS);
  await signIn(page);
  // Inside the page: long tasks, and at every animation frame the streamed text's length and the run's status.
  await page.addInitScript(() => {
    const probe: NonNullable<Window["__rpProbe"]> = {
      longTaskSupported: typeof PerformanceObserver !== "undefined" && PerformanceObserver.supportedEntryTypes.includes("longtask"),
      longTasks: [],
      samples: [],
    };
    window.__rpProbe = probe;
    if (probe.longTaskSupported) {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) probe.longTasks.push([e.startTime, e.duration]);
      }).observe({ type: "longtask", buffered: true });
    }
    const tick = (t: number) => {
      const text = document.querySelector('[data-testid="streamed-text-answer"]');
      const status = document.querySelector('[data-testid="run-status"] [data-status]')?.getAttribute("data-status") ?? "";
      probe.samples.push([t, text?.textContent?.length ?? 0, status]);
      if (probe.samples.length < 50_000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });

  const runId = await startRun(WF.story, { inputs: { question: `Tell me a long story, please. tokens:${TOKENS}` } });
  await page.goto(`/w/demo/runs/${runId}`);
  const streamed = page.getByTestId("streamed-text-answer");
  const length = () => page.evaluate(() => document.querySelector('[data-testid="streamed-text-answer"]')?.textContent?.length ?? 0);
  await expect.poll(length, { intervals: [50] }).toBeGreaterThan(0);
  const first = await length();
  await expect.poll(length, { intervals: [50] }).toBeGreaterThan(first);
  await expect(page.getByTestId("streamed-count-answer")).toContainText("streaming…");
  await page.screenshot({ path: screenshotPath("run-page-llm-streaming"), fullPage: true });
  // Measure from here on: the screenshot itself (a full-page capture) stalls the page for a moment.
  const measureFrom = await page.evaluate(() => performance.now());
  // The renderer main thread's own CPU time (thread ticks), which the rest of this 2-core
  // machine's load does not inflate, unlike wall-clock frame gaps and long tasks.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const cpu = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000, layout: (m.LayoutDuration + m.RecalcStyleDuration) * 1000, wall: m.Timestamp * 1000 };
  };
  const cpuFrom = await cpu();

  await ended(page, 90_000);
  const cpuTo = await cpu();
  await expect(runStatus(page)).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("streamed-count-answer")).not.toContainText("streaming…");
  await expect(page.getByTestId("streamed-count-answer")).toHaveText(`${expected.length.toLocaleString("en-US")} chars`);
  // Exact, character for character (not whitespace-normalised).
  expect(await streamed.evaluate((el) => el.textContent)).toBe(expected);
  await expect(page.getByTestId("output-answer").locator("dd")).toHaveText(expected);
  await expect(page.getByTestId("output-words")).toContainText(String(TOKENS));
  await page.screenshot({ path: screenshotPath("run-page-llm-finished"), fullPage: true });

  const probe = (await page.evaluate(() => window.__rpProbe))!;
  expect(probe.longTaskSupported).toBe(true);
  const streaming = probe.samples.filter(([t, len, status]) => t >= measureFrom && status === "running" && len > 0);
  expect(streaming.length).toBeGreaterThan(10);
  const from = streaming[0][0];
  const to = streaming.at(-1)![0];
  const gaps = streaming.slice(1).map(([t], i) => t - streaming[i][0]).sort((a, b) => a - b);
  const inWindow = probe.longTasks.filter(([start, duration]) => start + duration > from && start < to);
  const longest = Math.max(0, ...inWindow.map(([, d]) => d));
  const blocking = inWindow.reduce((sum, [, d]) => sum + Math.max(d - 50, 0), 0);
  const metrics = {
    streamingMs: Math.round(to - from), frames: streaming.length, distinctLengths: new Set(streaming.map(([, len]) => len)).size,
    medianFrameGapMs: Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0), p95FrameGapMs: Math.round(gaps[Math.floor(gaps.length * 0.95)] ?? 0),
    longTasks: inWindow.length, longestTaskMs: Math.round(longest), totalBlockingMs: Math.round(blocking),
    mainThreadCpuMs: Math.round(cpuTo.task - cpuFrom.task), scriptCpuMs: Math.round(cpuTo.script - cpuFrom.script),
    styleLayoutCpuMs: Math.round(cpuTo.layout - cpuFrom.layout), wallMs: Math.round(cpuTo.wall - cpuFrom.wall),
    cpuPerFrameMs: Math.round(((cpuTo.task - cpuFrom.task) / Math.max(streaming.length, 1)) * 10) / 10,
  };
  test.info().annotations.push({ type: "stream-metrics", description: JSON.stringify(metrics) });
  console.log("run page streaming metrics", metrics);
  // The text arrived over time in many steps (not in one piece at the end) …
  expect(metrics.streamingMs).toBeGreaterThan(1000);
  expect(metrics.distinctLengths).toBeGreaterThan(20);
  // … while each painted frame's main-thread work fit a 60 fps frame budget. It is measured in
  // the renderer's own CPU time (thread ticks) per frame: wall-clock frame gaps stretch when the
  // rest of this 2-core machine is busy, and the CPU share grows with the frame rate on a quiet
  // one (a 60 fps page paints more), but the work per frame does neither. No task froze the page.
  expect(metrics.cpuPerFrameMs).toBeLessThan(16);
  expect(metrics.longestTaskMs).toBeLessThan(1000);

  // The run's stored text agrees, and a fresh page (rendered from the stored events) shows the same.
  const run = await waitForRun(api, runId);
  expect(run.outputs.answer).toBe(expected);
  await page.reload();
  expect(await page.getByTestId("streamed-text-answer").evaluate((el) => el.textContent)).toBe(expected);
});

/** The first `count` SSE frames after `after`, as the server wrote them (read live, then the connection is dropped). */
async function rawFrames(runId: string, after: number, count: number): Promise<{ seq: number; raw: string }[]> {
  const controller = new AbortController();
  const res = await fetch(`${BASE}/api/v1/runs/${runId}/events?after=${after}`, { headers: { ...auth, accept: "text/event-stream" }, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`events answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const frames: { seq: number; raw: string }[] = [];
  let buffer = "";
  try {
    while (frames.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while (frames.length < count && (cut = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, cut + 2);
        buffer = buffer.slice(cut + 2);
        const id = /^id: (\d+)$/m.exec(raw);
        if (id) frames.push({ seq: Number(id[1]), raw });
      }
    }
  } finally {
    controller.abort();
  }
  return frames;
}

test("a dropped stream resumes from Last-Event-ID: nothing lost, nothing repeated", async ({ page }) => {
  test.setTimeout(120_000);
  const TOKENS = 2500;
  const FIRST = 200;
  const REPEATED = 20;
  const THIRD = 300;
  const expected = await fakeAnswer(TOKENS);
  await signIn(page);
  await page.addInitScript(() => {
    const states: string[] = [];
    window.__rpStates = states;
    const record = () => {
      const el = document.querySelector('[data-testid="stream-state"]');
      const state = el ? (el.getAttribute("data-state") ?? "?") : "gone";
      if (states.at(-1) !== state) states.push(state);
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
  });

  const runId = await startRun(WF.story, { inputs: { question: `A story that gets interrupted. tokens:${TOKENS}` } });
  const seen: { after: number; lastEventId: string | null }[] = [];
  const served: { last: number }[] = [];
  let problem: unknown = null;
  const sse = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" };
  await page.route((url) => url.pathname === `/api/v1/runs/${runId}/events`, async (route: Route) => {
    const url = new URL(route.request().url());
    const after = Number(url.searchParams.get("after"));
    seen.push({ after, lastEventId: await route.request().headerValue("last-event-id") });
    try {
      if (seen.length === 1) {
        // The first connection delivers FIRST frames and half of the next one, then the body ends.
        const frames = await rawFrames(runId, after, FIRST + 1);
        const cutOff = frames.pop()!.raw;
        served.push({ last: frames.at(-1)!.seq });
        await route.fulfill({ status: 200, headers: sse, body: `retry: 1000\n\n${frames.map((f) => f.raw).join("")}${cutOff.slice(0, Math.floor(cutOff.length / 2))}` });
      } else if (seen.length === 2) {
        // The network is down for the next attempt.
        await route.abort("internetdisconnected");
      } else if (seen.length === 3) {
        // A server that repeats itself: the last REPEATED frames the page already has, then THIRD new ones.
        const frames = await rawFrames(runId, after - REPEATED, REPEATED + THIRD);
        served.push({ last: frames.at(-1)!.seq });
        await route.fulfill({ status: 200, headers: sse, body: frames.map((f) => f.raw).join("") });
      } else {
        await route.continue();
      }
    } catch (error) {
      problem ??= error;
      await route.abort("failed").catch(() => {});
    }
  });

  await page.goto(`/w/demo/runs/${runId}`);
  await expect.poll(() => page.evaluate(() => window.__rpStates ?? []), { intervals: [50] }).toContain("reconnecting");
  await ended(page, 90_000);
  expect(problem).toBeNull();
  await expect(runStatus(page)).toHaveAttribute("data-status", "succeeded");
  await page.screenshot({ path: screenshotPath("run-page-reconnected"), fullPage: true });

  // Each reconnection asked for exactly what followed the last whole frame it had, in both forms.
  expect(seen.length).toBeGreaterThanOrEqual(4);
  expect(seen[1].after).toBe(served[0].last);
  expect(seen[2].after).toBe(served[0].last);
  expect(seen[3].after).toBe(served[1].last);
  for (const s of seen) expect(s.lastEventId).toBe(String(s.after));
  const states = (await page.evaluate(() => window.__rpStates))!;
  expect(states.lastIndexOf("live")).toBeGreaterThan(states.indexOf("reconnecting"));
  expect(states.at(-1)).toBe("gone");

  // The page holds exactly the stored run: the whole text once, every log line once, the last seq.
  const events = await storedEvents(runId);
  const storedText = events.filter((e) => e.type === "text_chunk").map((e) => e.data.text).join("");
  expect(storedText).toBe(expected);
  expect(await page.getByTestId("streamed-text-answer").evaluate((el) => el.textContent)).toBe(expected);
  await expect(page.getByTestId("run-view")).toHaveAttribute("data-last-seq", String(events.at(-1)!.seq));
  const storedLogSeqs = events.filter((e) => e.type === "log").map((e) => String(e.seq));
  expect(storedLogSeqs.length).toBeGreaterThanOrEqual(3);
  expect(await page.getByTestId("run-logs").getByTestId("log-line").evaluateAll((els) => els.map((el) => el.getAttribute("data-seq"))))
    .toEqual(storedLogSeqs);
  await expect(page.getByTestId("output-words")).toContainText(String(TOKENS));
  expect(fake.connectionsClosedEarly).toBe(0);
});

/** Opens the re-run panel of a run and returns it. */
async function openRerun(page: Page, runId: string) {
  await page.goto(`/w/demo/runs/${runId}`);
  await page.getByTestId("rerun-open").click();
  await expect(page).toHaveURL(/\?rerun=1$/);
  const panel = page.getByTestId("rerun-panel");
  await expect(panel).toBeVisible();
  return panel;
}

/** Waits for the page of a new run (not `parent`) to open and end; returns its id. */
async function childRun(page: Page, parent: string): Promise<string> {
  await page.waitForURL((url) => RUN_URL.test(url.pathname) && !url.pathname.endsWith(parent));
  const id = runIdOf(page);
  await ended(page);
  return id;
}

test("re-run with the same inputs, edited inputs, another label and another version; lineage on both sides", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page);
  const parent = await startRun(WF.rerun, { label: "production", inputs: { topic: TOPIC, mode: "long" } }, "blocking");
  const parentRun = await waitForRun(api, parent);
  expect(parentRun).toMatchObject({ status: "succeeded", version: 1, label: "production" });

  // Same inputs, same version.
  let panel = await openRerun(page, parent);
  await expect(panel.getByTestId("rerun-version")).toHaveValue("same");
  await expect(panel.getByTestId("rerun-from-step")).toHaveValue("");
  await expect(panel.locator("#input-topic")).toHaveValue(TOPIC);
  await expect(panel.locator("#input-mode")).toHaveValue("long");
  await page.screenshot({ path: screenshotPath("run-page-rerun-panel"), fullPage: true });
  await panel.getByTestId("rerun-same").click();
  const same = await childRun(page, parent);
  await expect(runStatus(page)).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("run-version")).toHaveText("v1");
  await expect(page.getByTestId("run-label")).toHaveCount(0);
  await expect(page.locator("p", { has: page.getByTestId("run-id") }).locator("[data-origin]")).toHaveText("Re-run");
  await expect(page.getByTestId("lineage-parent")).toHaveAttribute("href", `/w/demo/runs/${parent}`);
  await expect(page.getByTestId("input-topic")).toContainText(TOPIC);
  await expect(page.getByTestId("output-report").locator("h2")).toHaveText(TOPIC);
  expect(await waitForRun(api, same)).toMatchObject({ parent_run_id: parent, origin: "rerun", version: 1, inputs: parentRun.inputs });

  // Edited inputs: another topic, the other branch.
  panel = await openRerun(page, parent);
  await panel.locator("#input-topic").fill("Edited topic");
  await panel.locator("#input-mode").selectOption("short");
  await panel.getByRole("button", { name: "Re-run with these inputs" }).click();
  const edited = await childRun(page, parent);
  await expect(page.getByTestId("input-topic")).toContainText("Edited topic");
  await expect(page.getByTestId("input-mode")).toContainText("short");
  expect(await stepStatuses(page)).toMatchObject({ long_text: "skipped", short_text: "succeeded", report: "succeeded" });
  await expect(page.getByTestId("output-report").getByTestId("markdown-output")).toHaveText("Short: Edited topic");
  await expect(page.getByTestId("lineage-parent")).toHaveAttribute("href", `/w/demo/runs/${parent}`);
  expect((await waitForRun(api, edited)).inputs).toMatchObject({ topic: "Edited topic", mode: "short" });

  // Another label: staging points at v2, whose heading differs.
  panel = await openRerun(page, parent);
  await panel.getByTestId("rerun-version").selectOption("label:staging");
  await expect(page).toHaveURL(/[?&]label=staging/);
  panel = page.getByTestId("rerun-panel");
  await expect(panel.getByTestId("rerun-version")).toHaveValue("label:staging");
  await panel.getByTestId("rerun-same").click();
  const byLabel = await childRun(page, parent);
  await expect(page.getByTestId("run-version")).toHaveText("v2");
  await expect(page.getByTestId("run-label")).toHaveText("staging");
  await expect(page.getByTestId("detail-version")).toContainText(/v2\s*via label\s*staging/);
  await expect(page.getByTestId("output-report").locator("h2")).toHaveText(`${TOPIC} (v2)`);

  // Another version, by number.
  panel = await openRerun(page, parent);
  await panel.getByTestId("rerun-version").selectOption("version:2");
  await expect(page).toHaveURL(/[?&]version=2/);
  panel = page.getByTestId("rerun-panel");
  await expect(panel.getByTestId("rerun-version")).toHaveValue("version:2");
  await panel.getByTestId("rerun-same").click();
  const byVersion = await childRun(page, parent);
  await expect(page.getByTestId("run-version")).toHaveText("v2");
  await expect(page.getByTestId("run-label")).toHaveCount(0);
  await expect(page.getByTestId("detail-version")).toContainText("(picked by number)");
  await expect(page.getByTestId("output-report").locator("h2")).toHaveText(`${TOPIC} (v2)`);

  // The child links to its parent …
  await page.getByTestId("lineage-parent").click();
  await expect(page).toHaveURL(new RegExp(`/w/demo/runs/${parent}$`));
  // … and the parent lists its four re-runs.
  await expect(page.getByTestId("lineage-rerun-count")).toHaveText("Re-runs (4):");
  const reruns = page.getByTestId("lineage-reruns").getByTestId("lineage-rerun");
  await expect(reruns).toHaveCount(4);
  const hrefs = await reruns.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  expect([...hrefs].sort()).toEqual([same, edited, byLabel, byVersion].map((id) => `/w/demo/runs/${id}`).sort());
  await expect(reruns.filter({ has: page.locator(`a[href$="${byLabel}"]`) })).toContainText("v2");
  await expect(page.getByTestId("lineage-parent-line")).toHaveCount(0);
  await page.screenshot({ path: screenshotPath("run-page-rerun-lineage"), fullPage: true });
});

test("re-run from a chosen step keeps the earlier outputs, and the timeline marks them reused", async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page);
  const parent = await startRun(WF.rerun, { label: "production", inputs: { topic: TOPIC, mode: "long" } }, "blocking");
  const parentRun = (await (await api.get(`/api/v1/runs/${parent}?return_all_outputs=true`)).json());
  expect(parentRun.status).toBe("succeeded");

  const panel = await openRerun(page, parent);
  await panel.getByTestId("rerun-from-step").selectOption("route");
  await expect(panel.getByTestId("rerun-keeps")).toHaveText(
    "Keeps the outputs of Warm up, Inspect the topic from this run; runs route and what depends on it again.",
  );
  await panel.getByTestId("rerun-same").click();
  const child = await childRun(page, parent);
  await expect(runStatus(page)).toHaveAttribute("data-status", "succeeded");

  // Kept steps: marked reused, no bar on this run's time axis; the rest ran again.
  for (const id of ["warmup", "inspect"]) {
    await expect(page.getByTestId(`step-${id}`)).toHaveAttribute("data-reused", "true");
    await expect(page.getByTestId(`step-${id}`)).toHaveAttribute("data-status", "succeeded");
    await expect(page.getByTestId(`reused-${id}`)).toHaveText("reused");
    await expect(page.getByTestId(`step-${id}`)).toContainText("output reused from the parent run");
    await expect(page.getByTestId(`bar-${id}`)).toHaveCount(0);
    await expect(page.getByTestId(`step-output-${id}`)).toContainText("reused");
  }
  for (const id of ["route", "long_text", "report"]) {
    await expect(page.getByTestId(`step-${id}`)).not.toHaveAttribute("data-reused", "true");
    await expect(page.getByTestId(`bar-${id}`)).toBeVisible();
  }
  await expect(page.getByTestId("step-short_text")).toHaveAttribute("data-status", "skipped");
  await expect(page.getByTestId("lineage-parent")).toHaveAttribute("href", `/w/demo/runs/${parent}`);
  const fromStep = page.getByTestId("lineage-from-step");
  await expect(fromStep).toContainText("from step route");
  await expect(fromStep).toContainText("warmup");
  await expect(fromStep).toContainText("inspect");
  await expect(page.getByTestId("output-details")).toContainText(`topic: "${TOPIC}"`);
  await page.screenshot({ path: screenshotPath("run-page-rerun-from-step"), fullPage: true });

  // The kept steps did not run again: no step_started for them, and the delay's output is the parent's own.
  const childRunDoc = (await (await api.get(`/api/v1/runs/${child}?return_all_outputs=true`)).json());
  expect(childRunDoc).toMatchObject({ parent_run_id: parent, rerun_from_step: "route", status: "succeeded" });
  expect(childRunDoc.step_outputs.warmup).toEqual(parentRun.step_outputs.warmup);
  const started = (await storedEvents(child)).filter((e) => e.type === "step_started").map((e) => e.data.step_id);
  expect(started).not.toContain("warmup");
  expect(started).not.toContain("inspect");
  expect(started).toContain("route");

  // The parent shows this re-run, from which step.
  await page.getByTestId("lineage-parent").click();
  await expect(page).toHaveURL(new RegExp(`/w/demo/runs/${parent}$`));
  const item = page.getByTestId("lineage-reruns").getByTestId("lineage-rerun");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(child.slice(0, 8));
  await expect(item).toContainText("from route");
});
