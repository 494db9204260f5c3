/**
 * Workflows in the browser: create one from YAML with inline errors (nothing is published
 * while the definition is wrong), publish v1 and v2, move the production label with a
 * recorded history (a user and an API key), compare two versions, and a viewer who cannot
 * publish — refused in words when the controls were still on screen, read-only after. Also an
 * import of a JSON workflow file that carries its own name and title.
 */
import { expect, test, type Page } from "@playwright/test";
import { auth } from "./api-helpers";
import { screenshotPath, setDemoRole, signIn } from "./helpers";

test.describe.configure({ mode: "serial" });

// A name of its own per run: the e2e database lives for the whole suite.
const NAME = `editor-e2e-${Date.now().toString(36)}`;
const WORKFLOW_PATH = `/w/demo/workflows/${NAME}`;

const V1 = `inputs:
  - name: who
    type: text
    default: World
steps:
  - id: hello
    kind: template
    config:
      template: "Hello, {{ inputs.who }}"
  - id: shout
    kind: template
    config:
      template: "{{ steps.hello.output }}!"
outputs:
  text: "{{ steps.shout.output }}"
`;

// An unknown step kind and a reference to a step that does not exist.
const BAD = V1.replace("kind: template", "kind: templat").replace("steps.hello.output", "steps.helo.output");
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

const V2 = V1.replace("Hello, {{ inputs.who }}", "Hello there, {{ inputs.who }}");

const editor = (page: Page) => page.getByTestId("definition-editor");
const status = (page: Page) => page.getByTestId("definition-status");

test.afterAll(() => {
  setDemoRole("owner");
});

test("create from YAML with inline errors, publish v1 and v2, move production, compare", async ({ page }) => {
  await signIn(page);
  await page.getByTestId("new-workflow").click();
  await expect(page).toHaveURL(/\/w\/demo\/workflows\/new$/);
  await expect(page.getByRole("heading", { name: "New workflow" })).toBeVisible();
  // The starter definition is valid as it stands.
  await expect(status(page)).toHaveAttribute("data-state", "valid");

  const form = page.getByTestId("new-workflow-form");
  await form.getByLabel("Name", { exact: true }).fill(NAME);
  await form.getByLabel("Title").fill("Editor e2e");

  // A bad definition: both problems are listed next to the editor, each on its line.
  await editor(page).fill(BAD);
  await expect(status(page)).toHaveAttribute("data-state", "invalid");
  const problems = page.getByTestId("definition-problem");
  await expect(problems).toHaveCount(2);
  const kindProblem = problems.filter({ hasText: "Unknown step kind 'templat'" });
  await expect(kindProblem).toHaveAttribute("data-line", String(lineOf(BAD, "kind: templat")));
  await expect(kindProblem).toContainText(`Line ${lineOf(BAD, "kind: templat")}`);
  await expect(problems.filter({ hasText: "refers to unknown step 'helo'" })).toHaveCount(1);
  await expect(page.getByTestId("definition-gutter").locator("[data-problem]")).toHaveCount(2);
  await page.screenshot({ path: screenshotPath("workflow-editor-errors"), fullPage: true });

  // Submitting anyway is refused by the server, and nothing is published.
  await page.getByTestId("create-workflow").click();
  await expect(page.getByTestId("workflow-form-error")).toContainText("nothing was published");
  await expect(page).toHaveURL(/\/workflows\/new$/);
  expect((await page.request.get(`/api/v1/workflows/${NAME}`, { headers: auth })).status()).toBe(404);

  // Fixed: valid, created as v1.
  await editor(page).fill(V1);
  await expect(status(page)).toHaveAttribute("data-state", "valid");
  await expect(status(page)).toContainText("1 input, 2 steps, 1 output");
  await form.getByLabel("Version message").fill("First greeting");
  await page.getByTestId("create-workflow").click();
  await expect(page).toHaveURL(new RegExp(`${WORKFLOW_PATH}/versions\\?published=1$`));
  await expect(page.getByTestId("version-1").getByTestId("version-message")).toHaveText("First greeting");

  // Edit: the editor starts from v1; publish v2 with a change and a message.
  await page.getByTestId("workflow-tabs").getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(new RegExp(`${WORKFLOW_PATH}/edit$`));
  await expect(editor(page)).toHaveValue(/Hello, \{\{ inputs\.who \}\}/);
  await expect(status(page)).toHaveAttribute("data-state", "valid");
  await editor(page).fill(V2);
  await page.getByLabel("Version message").fill("Friendlier greeting");
  await page.getByRole("button", { name: "Publish v2" }).click();
  await expect(page).toHaveURL(new RegExp(`${WORKFLOW_PATH}/versions\\?published=2$`));
  await expect(page.getByTestId("published-note")).toContainText("Published v2");
  await expect(page.getByTestId("version-2").getByTestId("version-message")).toHaveText("Friendlier greeting");
  await expect(page.getByTestId("version-1")).toBeVisible();

  // Labels: production on v1, then moved to v2; each move is a history row.
  const move = page.getByTestId("move-label-form");
  await move.getByLabel("Label").fill("production");
  await move.getByLabel("Version").selectOption("1");
  await move.getByRole("button", { name: "Move label" }).click();
  await expect(page.getByTestId("label-production")).toContainText("v1");
  await expect(page.getByTestId("label-move").first()).toContainText("new → v1");
  // A run over the API at production uses v1 (and the server remembers that resolution).
  const runAtProduction = async () => {
    const res = await page.request.post(`/api/v1/workflows/${NAME}/runs`, { headers: auth, data: { label: "production", inputs: { who: "Ann" } } });
    expect(res.status()).toBe(200);
    return (await res.json()) as { version: number; outputs: { text: string } };
  };
  expect(await runAtProduction()).toMatchObject({ version: 1, outputs: { text: "Hello, Ann!" } });

  await move.getByLabel("Version").selectOption("2");
  await expect(page.getByTestId("move-label-hint")).toHaveText("Moves production from v1 to v2.");
  await move.getByRole("button", { name: "Move label" }).click();
  await expect(page.getByTestId("label-production")).toContainText("v2");
  // The move made in the console reaches the API at once (its cache of resolutions was per bundle once).
  expect(await runAtProduction()).toMatchObject({ version: 2, outputs: { text: "Hello there, Ann!" } });
  const latestMove = page.getByTestId("label-move").first();
  await expect(latestMove.getByTestId("label-move-versions")).toHaveText("v1 → v2");
  await expect(latestMove).toContainText("production");
  await expect(latestMove.getByTestId("author")).toHaveText("demo@flowdeck.local");
  await expect(page.getByTestId("label-move")).toHaveCount(2);
  await expect(page.getByTestId("version-2").getByTestId("version-label")).toHaveText("production");

  // A move made with an API key names the key.
  const viaApi = await page.request.put(`/api/v1/workflows/${NAME}/labels/staging`, { headers: auth, data: { version: 1 } });
  expect(viaApi.status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId("label-move").first().getByTestId("author")).toHaveText("API key Demo key");
  await expect(page.getByTestId("label-move").first().getByTestId("label-move-versions")).toHaveText("new → v1");
  await page.screenshot({ path: screenshotPath("workflow-versions-labels"), fullPage: true });

  // Compare v1 and v2: the changed line, removed and added.
  await page.getByTestId("version-2").getByRole("link", { name: "Compare with v1" }).click();
  await expect(page).toHaveURL(new RegExp(`${WORKFLOW_PATH}/compare\\?a=1&b=2$`));
  await expect(page.getByTestId("compare-title")).toHaveText("v1 → v2");
  await expect(page.getByTestId("diff-stats")).toHaveText("+1 −1");
  const removed = page.locator('[data-testid="diff-line"][data-type="del"]');
  const added = page.locator('[data-testid="diff-line"][data-type="add"]');
  await expect(removed).toHaveCount(1);
  await expect(added).toHaveCount(1);
  await expect(removed).toContainText("Hello, {{ inputs.who }}");
  await expect(added).toContainText("Hello there, {{ inputs.who }}");
  await page.screenshot({ path: screenshotPath("workflow-compare"), fullPage: true });

  // The same comparison as JSON, from the URL alone.
  await page.goto(`${WORKFLOW_PATH}/compare?a=1&b=2&format=json`);
  await expect(page.locator('[data-testid="diff-line"][data-type="add"]')).toContainText('"template": "Hello there, {{ inputs.who }}"');
});

test("import a JSON workflow file: name, title and definition are read from it", async ({ page }) => {
  await signIn(page);
  await page.getByTestId("import-workflow").click();
  await expect(page).toHaveURL(/\/w\/demo\/workflows\/new\?import=1$/);
  await expect(page.getByRole("heading", { name: "Import a workflow" })).toBeVisible();
  await expect(editor(page)).toHaveValue("");

  const imported = `${NAME}-imported`;
  const file = {
    name: imported,
    title: "Imported from a file",
    description: "Came in as JSON",
    steps: [{ id: "only", kind: "template", config: { template: "imported {{ inputs.x }}" } }],
    inputs: [{ name: "x", type: "text" }],
  };
  await page.getByTestId("definition-file").setInputFiles({
    name: "workflow.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(file, null, 2)),
  });
  await expect(page.getByTestId("definition-file-note")).toHaveText("Loaded workflow.json");
  const form = page.getByTestId("new-workflow-form");
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue(imported);
  await expect(form.getByLabel("Title")).toHaveValue("Imported from a file");
  await expect(form.getByLabel("Description")).toHaveValue("Came in as JSON");
  await expect(editor(page)).toHaveValue(/"kind": "template"/);
  await expect(editor(page)).not.toHaveValue(/Imported from a file/);
  await expect(status(page)).toHaveAttribute("data-state", "valid");
  await page.getByTestId("create-workflow").click();
  await expect(page).toHaveURL(new RegExp(`/w/demo/workflows/${imported}/versions\\?published=1$`));
  await expect(page.getByTestId("version-1").getByTestId("version-message")).toHaveText("Initial version");
});

test("a viewer cannot publish: refused in words, then shown read-only", async ({ page }) => {
  await signIn(page);
  await page.goto(`${WORKFLOW_PATH}/edit`);
  await expect(status(page)).toHaveAttribute("data-state", "valid");
  await editor(page).fill(V2.replace("Hello there", "Hi"));
  await page.getByLabel("Version message").fill("Sneaky change");

  // The role drops to viewer while the owner's page is open.
  setDemoRole("viewer");
  try {
    await page.getByRole("button", { name: "Publish v3" }).click();
    await expect(page.getByTestId("workflow-form-error")).toHaveText("Your role (viewer) cannot do this");
    await expect(page).toHaveURL(new RegExp(`${WORKFLOW_PATH}/edit$`));
    const versions = await page.request.get(`/api/v1/workflows/${NAME}/versions`, { headers: auth });
    expect(((await versions.json()) as { data: unknown[] }).data).toHaveLength(2);

    // Reloaded as a viewer: read-only text, no publish, no label moves, no New workflow.
    await page.reload();
    await expect(page.getByTestId("workflow-read-only")).toContainText("Your role here is viewer");
    await expect(page.getByTestId("publish-version")).toBeDisabled();
    await expect(editor(page)).toHaveAttribute("readonly", "");
    await page.screenshot({ path: screenshotPath("workflow-editor-viewer"), fullPage: true });

    await page.goto(`${WORKFLOW_PATH}/versions`);
    await expect(page.getByTestId("label-history")).toBeVisible();
    await expect(page.getByTestId("move-label-form")).toHaveCount(0);
    await page.goto("/w/demo/workflows");
    await expect(page.getByTestId(`workflow-${NAME}`)).toBeVisible();
    await expect(page.getByTestId("new-workflow")).toHaveCount(0);
    await expect(page.getByTestId("import-workflow")).toHaveCount(0);
  } finally {
    setDemoRole("owner");
  }
});
