/**
 * The ask-llm demo end to end: without a provider the run explains how to add one; with a
 * provider saved on the Secrets page (a local OpenAI-compatible server) the answer streams
 * into the run page token by token; the key never reaches the browser; members cannot
 * change secrets.
 */
import { expect, test, type Page } from "@playwright/test";
import { FAKE_OPENAI_API_KEY, FAKE_OPENAI_MODEL, startFakeOpenAI, type FakeOpenAI } from "../scripts/fake-openai";
import { screenshotPath, setDemoRole, signIn } from "./helpers";

// scripts/e2e-server.sh lets the server reach this one private address (FLOWDECK_FETCH_ALLOW).
const FAKE_PORT = 3195;
const SECRETS_PATH = "/w/demo/settings/secrets";
const TOKENS = 300;

test.describe.configure({ mode: "serial" });

async function startAskLlm(page: Page, question: string) {
  await page.goto("/w/demo/workflows/ask-llm");
  await page.getByLabel(/Question/).fill(question);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/w\/demo\/runs\/[0-9a-f-]{36}$/);
}


test("without a provider, ask-llm fails and says to add a secret named llm", async ({ page }) => {
  await signIn(page);
  await startAskLlm(page, "What is a workflow engine?");
  await expect(page.getByTestId("run-status")).toContainText("failed");
  await expect(page.getByTestId("step-answer")).toHaveAttribute("data-status", "failed");
  const error = page.getByTestId("run-error");
  await expect(error).toContainText("llm_not_configured");
  await expect(error).toContainText('add a workspace secret named "llm"');
  await expect(error).toContainText('"base_url"');
  await expect(error).toContainText("Secrets settings");
  await page.screenshot({ path: screenshotPath("llm-run-not-configured"), fullPage: true });
  await error.getByRole("link", { name: "Open Secrets settings" }).click();
  await expect(page).toHaveURL(new RegExp(`${SECRETS_PATH}$`));
  await expect(page.getByTestId("secrets-empty")).toBeVisible();
});

test.describe("with the fake provider", () => {
  let fake: FakeOpenAI;
  test.beforeAll(async () => {
    fake = await startFakeOpenAI({ host: "127.0.0.1", port: FAKE_PORT, tokenDelayMs: 15 });
  });
  test.afterAll(async () => {
    await fake?.close();
  });

  test("add the provider on the Secrets page, then watch the answer stream in", async ({ page }) => {
    await signIn(page);
    await page.getByRole("link", { name: "Secrets" }).click();
    await expect(page).toHaveURL(new RegExp(`${SECRETS_PATH}$`));
    await expect(page.getByRole("heading", { name: "Secrets", exact: true })).toBeVisible();
    await expect(page.getByTestId("secrets-empty")).toBeVisible();

    const form = page.getByTestId("new-llm-form");
    await expect(form.getByLabel("Secret name")).toHaveValue("llm");
    await expect(form.getByLabel("API key")).toHaveAttribute("type", "password");

    // Bad values are refused field by field, and nothing is stored.
    await form.getByLabel("Base URL").fill("not a url");
    await form.getByRole("button", { name: "Save provider" }).click();
    await expect(form.getByTestId("new-llm-base_url-error")).toContainText("base_url must be an http(s) URL");
    await expect(form.getByTestId("new-llm-api_key-error")).toContainText("api_key cannot be empty");
    await expect(page.getByTestId("secrets-empty")).toBeVisible();
    await page.screenshot({ path: screenshotPath("secrets-field-errors"), fullPage: true });

    await form.getByLabel("Base URL").fill(fake.url);
    await form.getByLabel("API key").fill(FAKE_OPENAI_API_KEY);
    await form.getByLabel("Default model").fill(FAKE_OPENAI_MODEL);
    await form.getByRole("button", { name: "Save provider" }).click();
    await expect(form.getByTestId("secret-form-saved")).toContainText("Saved “llm”");
    await expect(form.getByLabel("API key")).toHaveValue("");

    // The list shows the name and its age, never the value.
    const row = page.getByTestId("secret-llm");
    await expect(row.getByTestId("secret-name")).toHaveText("llm");
    await expect(row).toContainText(/updated (just now|\d+ s ago)/);
    expect(await page.content()).not.toContain(FAKE_OPENAI_API_KEY);
    // Nor in a freshly rendered page (HTML and the RSC payload inside it).
    const html = await (await page.request.get(SECRETS_PATH)).text();
    expect(html).toContain("secret-llm");
    expect(html).not.toContain(FAKE_OPENAI_API_KEY);
    expect(html).not.toContain(fake.url);
    await page.reload();
    await expect(page.getByTestId("secret-llm")).toBeVisible();
    expect(await page.content()).not.toContain(FAKE_OPENAI_API_KEY);
    await page.screenshot({ path: screenshotPath("secrets-page"), fullPage: true });

    // Ask for a long answer; the fake server sends one word every 15 ms.
    await startAskLlm(page, `Tell me a long story, please. tokens:${TOKENS}`);
    const streamed = page.getByTestId("streamed-text-answer");
    // Status and length read in one go, so a reading cannot straddle the end of the run.
    const reading = () =>
      page.evaluate(() => ({
        status: document.querySelector('[data-testid="run-status"] [data-status]')?.getAttribute("data-status"),
        length: document.querySelector('[data-testid="streamed-text-answer"]')?.textContent?.length ?? 0,
      }));
    // The page may open with some text already rendered on the server; wait for the live
    // stream to add to it before taking the two readings.
    await expect.poll(async () => (await reading()).length, { intervals: [25] }).toBeGreaterThan(0);
    const opened = await reading();
    await expect.poll(async () => (await reading()).length, { intervals: [25] }).toBeGreaterThan(opened.length);
    const first = await reading();
    expect(first.status).toBe("running");
    await page.waitForTimeout(300);
    const second = await reading();
    expect(second.status).toBe("running");
    expect(second.length).toBeGreaterThan(first.length);
    await expect(page.getByTestId("streamed-answer")).toContainText("streaming…");
    await page.screenshot({ path: screenshotPath("llm-run-streaming"), fullPage: true });

    // Then it finishes: the whole answer, the streamed text equal to the output, and tokens.
    await expect(page.getByTestId("run-status")).toContainText("succeeded", { timeout: 30_000 });
    const answer = (await page.getByTestId("output-answer").locator("dd").innerText()).trim();
    expect(answer.split(/\s+/)).toHaveLength(TOKENS);
    expect(answer.startsWith("lorem ipsum dolor")).toBe(true);
    await expect(streamed).toHaveText(answer);
    await expect(page.getByTestId("streamed-answer")).not.toContainText("streaming…");
    const tokens = Number((await page.getByTestId("output-tokens").locator("dd").innerText()).trim());
    expect(tokens).toBeGreaterThan(TOKENS);
    await expect(page.getByText(`${tokens} tokens`)).toBeVisible();
    await page.screenshot({ path: screenshotPath("llm-run-finished"), fullPage: true });

    // The provider got the saved key, sealed and unsealed on the server only.
    const chat = fake.requests.filter((r) => r.path === "/v1/chat/completions");
    expect(chat).toHaveLength(1);
    expect(chat[0].authorization).toBe(`Bearer ${FAKE_OPENAI_API_KEY}`);
    expect(chat[0].body.model).toBe(FAKE_OPENAI_MODEL);
    expect(await page.content()).not.toContain(FAKE_OPENAI_API_KEY);
  });

  test("members see secrets read-only; a change they try is refused in words", async ({ page }) => {
    await signIn(page);
    await page.goto(SECRETS_PATH);
    // An owner adds a second, ordinary secret.
    const generic = page.getByTestId("new-generic-form");
    await page.getByRole("tab", { name: "Other secret" }).click();
    await generic.getByLabel("Secret name").fill("bad name!");
    await generic.getByLabel("Value").fill("x");
    await generic.getByRole("button", { name: "Save secret" }).click();
    await expect(generic.getByTestId("new-generic-name-error")).toContainText("Use only letters, digits");
    await generic.getByLabel("Secret name").fill("SLACK_TOKEN");
    await generic.getByLabel("Value").fill("xoxb-not-shown-anywhere");
    await generic.getByRole("button", { name: "Save secret" }).click();
    await expect(page.getByTestId("secret-SLACK_TOKEN")).toBeVisible();
    expect(await page.content()).not.toContain("xoxb-not-shown-anywhere");

    // The page is open with the owner's controls when the role drops to member.
    await page.getByTestId("secret-SLACK_TOKEN").getByRole("button", { name: "Replace", exact: true }).click();
    setDemoRole("member");
    try {
      const replace = page.getByTestId("replace-SLACK_TOKEN-generic-form");
      await replace.getByLabel("Value").fill("another value");
      await replace.getByRole("button", { name: "Replace value" }).click();
      await expect(replace.getByTestId("secret-form-error")).toHaveText("Your role (member) cannot do this");
      await page.screenshot({ path: screenshotPath("secrets-refused"), fullPage: true });

      await page.reload();
      await expect(page.getByTestId("secrets-read-only")).toContainText("Only admins and owners can add, replace or delete secrets");
      await expect(page.getByTestId("secret-llm")).toBeVisible();
      await expect(page.getByTestId("secret-SLACK_TOKEN")).toBeVisible();
      await expect(page.getByRole("button", { name: "Replace", exact: true })).toHaveCount(0);
      await expect(page.getByRole("button", { name: "Delete", exact: true })).toHaveCount(0);
      await expect(page.getByTestId("new-llm-form")).toHaveCount(0);
      await page.screenshot({ path: screenshotPath("secrets-read-only"), fullPage: true });
    } finally {
      setDemoRole("owner");
    }
  });

  test("delete the secrets (with a confirmation)", async ({ page }) => {
    await signIn(page);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(SECRETS_PATH);
    await page.getByTestId("secret-llm").getByRole("button", { name: "Replace", exact: true }).click();
    await expect(page.getByTestId("replace-llm-llm-form").getByLabel("API key")).toBeVisible();
    await page.screenshot({ path: screenshotPath("secrets-dark-replace"), fullPage: true });
    await page.getByTestId("replace-llm-llm-form").getByRole("button", { name: "Cancel" }).click();
    for (const name of ["SLACK_TOKEN", "llm"]) {
      const row = page.getByTestId(`secret-${name}`);
      await row.getByRole("button", { name: "Delete", exact: true }).click();
      await expect(row.getByTestId("confirm-delete")).toContainText(`Delete “${name}”?`);
      await row.getByRole("button", { name: "Cancel" }).click();
      await expect(row.getByTestId("confirm-delete")).toHaveCount(0);
      await row.getByRole("button", { name: "Delete", exact: true }).click();
      await row.getByRole("button", { name: "Yes, delete" }).click();
      await expect(row).toHaveCount(0);
    }
    await expect(page.getByTestId("secrets-empty")).toBeVisible();
    await page.reload();
    await expect(page.getByTestId("secrets-empty")).toBeVisible();
  });
});
