/**
 * The run API over real HTTP against the production server: every response mode, resumable
 * streams, idempotency under concurrency, cancel, re-run, list filters and file URLs.
 * Responses are checked against the same zod schemas the OpenAPI document is generated from.
 */
import { expect, test } from "@playwright/test";
import { runAcceptedSchema, runPageSchema, runSchema } from "../lib/schemas/api-runs";
import { auth, BASE, parseSse, readSse, startReceiver, waitForRun, type Frame } from "./api-helpers";
import { countRows, signIn } from "./helpers";

const json = { ...auth, "content-type": "application/json" };

test("blocking returns the finished run; typed-list inputs; unknown inputs and fields become warnings", async ({ request }) => {
  const res = await request.post("/api/v1/workflows/greet/runs", {
    headers: json,
    data: { inputs: [{ name: "name", type: "text", value: "Ada" }, { name: "colour", value: "red" }], label: "production", surprise: 1 },
  });
  expect(res.status()).toBe(200);
  const run = runSchema.parse(await res.json());
  expect(run).toMatchObject({ status: "succeeded", outputs: { greeting: "HELLO, ADA!", length: 11 }, label: "production", version: 1, origin: "api" });
  expect(run.warnings!.join(" ")).toMatch(/colour/);
  expect(run.warnings!.join(" ")).toMatch(/surprise/);
  expect(run.step_outputs).toBeUndefined();
  expect(res.headers()["x-flowdeck-run-id"]).toBe(run.id);
  expect(run.steps.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);

  const all = runSchema.parse(await (await request.post("/api/v1/workflows/greet/runs", {
    headers: json, data: { inputs: { name: "Bo" }, version: "v2", return_all_outputs: true },
  })).json());
  expect(all.version).toBe(2);
  expect(all.step_outputs).toMatchObject({ greet: "Hello, Bo!", shout: { greeting: "HELLO, BO!" } });

  const wrongType = await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { inputs: [{ name: "name", type: "number", value: 3 }] } });
  expect(wrongType.status()).toBe(422);
  expect((await wrongType.json()).detail[0].loc).toEqual(["body", "inputs", 0, "type"]);
});

test("blocking past its wait limit answers 202 with the run URL; async answers 202 at once", async ({ request }) => {
  const slow = await request.post("/api/v1/workflows/release-pipeline/runs", { headers: json, data: { max_wait_ms: 200 } });
  expect(slow.status()).toBe(202);
  const accepted = runAcceptedSchema.parse(await slow.json());
  expect(accepted.status).toBe("running");
  expect(accepted.message).toMatch(/Still running/);
  expect(slow.headers().location).toBe(`/api/v1/runs/${accepted.id}`);
  expect((await waitForRun(request, accepted.id)).outputs.notes).toContain("# v1.0");

  const started = Date.now();
  const asyncRes = await request.post("/api/v1/workflows/release-pipeline/runs", { headers: json, data: { response_mode: "async", inputs: { release: "v9" } } });
  expect(asyncRes.status()).toBe(202);
  expect(Date.now() - started).toBeLessThan(1500);
  const body = runAcceptedSchema.parse(await asyncRes.json());
  expect(body.url).toBe(`/api/v1/runs/${body.id}`);
  const done = await waitForRun(request, body.id);
  expect(done.status).toBe("succeeded");
  expect(done.outputs.notes).toContain("# v9");
});

test("streaming returns the run's events as SSE, gap-free, the same frames as /runs/{id}/events", async ({ request }) => {
  const res = await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { response_mode: "streaming", inputs: { name: "Sse" } } });
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toContain("text/event-stream");
  const runId = res.headers()["x-flowdeck-run-id"];
  const frames = parseSse(await res.text());
  expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
  expect(frames[0].type).toBe("run_started");
  expect(frames.at(-1)).toMatchObject({ type: "run_finished", data: { status: "succeeded", outputs: { greeting: "HELLO, SSE!" } } });
  const replay = parseSse(await (await request.get(`/api/v1/runs/${runId}/events`, { headers: auth })).text());
  expect(replay).toEqual(frames);
});

test("reconnecting with Last-Event-ID mid-run gets exactly the missed events, for several viewers at once", async ({ request }) => {
  const res = await request.post("/api/v1/workflows/release-pipeline/runs", { headers: json, data: { response_mode: "async" } });
  const { id } = await res.json();
  const url = `${BASE}/api/v1/runs/${id}/events`;

  // Five viewers each drop the connection after a different number of events, then resume.
  const viewer = async (dropAfter: number) => {
    const seen: Frame[] = [];
    await readSse(url, auth, (frame, stop) => {
      seen.push(frame);
      if (seen.length === dropAfter) stop();
    });
    expect(seen.length).toBe(dropAfter);
    const resumed = await readSse(url, { ...auth, "last-event-id": String(seen.at(-1)!.seq) }, (frame) => seen.push(frame));
    expect(resumed.status).toBe(200);
    return seen;
  };
  const results = await Promise.all([1, 2, 3, 4, 5].map(viewer));
  const full = parseSse(await (await request.get(`/api/v1/runs/${id}/events`, { headers: auth })).text());
  expect(full.at(-1)!.type).toBe("run_finished");
  for (const seen of results) expect(seen).toEqual(full);
  expect(full.map((f) => f.seq)).toEqual(full.map((_, i) => i + 1));
  // The drop happened while the run was still going (its steps take seconds).
  expect(full.filter((f) => f.type === "step_finished").length).toBeGreaterThanOrEqual(4);
});

test("20 concurrent requests with one Idempotency-Key create exactly one run; another body is 422", async ({ request }) => {
  const key = `idem-${Date.now()}`;
  const before = countRows("Run");
  const send = () => request.post("/api/v1/workflows/greet/runs", {
    headers: { ...json, "idempotency-key": key }, data: { inputs: { name: "Once" }, response_mode: "async" },
  });
  const answers = await Promise.all(Array.from({ length: 20 }, send));
  expect(answers.map((a) => a.status())).toEqual(Array(20).fill(202));
  const ids = new Set(await Promise.all(answers.map(async (a) => (await a.json()).id)));
  expect(ids.size).toBe(1);
  expect(answers.filter((a) => a.headers()["idempotent-replayed"] === "true")).toHaveLength(19);
  expect(countRows("Run")).toBe(before + 1);

  // Same key, same body, another response mode: still the first run (now finished).
  const blocking = await request.post("/api/v1/workflows/greet/runs", {
    headers: { ...json, "idempotency-key": key }, data: { inputs: { name: "Once" } },
  });
  expect(blocking.status()).toBe(200);
  expect((await blocking.json()).id).toBe([...ids][0]);

  const other = await request.post("/api/v1/workflows/greet/runs", {
    headers: { ...json, "idempotency-key": key }, data: { inputs: { name: "Twice" } },
  });
  expect(other.status()).toBe(422);
  expect((await other.json()).detail[0]).toMatchObject({ loc: ["header", "Idempotency-Key"], type: "value_error.idempotency_conflict" });

  // external_id is unique per workspace in the same way.
  const ext = `order-${Date.now()}`;
  const extAnswers = await Promise.all(Array.from({ length: 10 }, () => request.post("/api/v1/workflows/greet/runs", {
    headers: json, data: { external_id: ext, response_mode: "async" },
  })));
  expect(new Set(await Promise.all(extAnswers.map(async (a) => (await a.json()).id))).size).toBe(1);
  const extOther = await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { external_id: ext, inputs: { name: "X" } } });
  expect(extOther.status()).toBe(422);
  expect(countRows("Run")).toBe(before + 2);
});

test("cancel stops a running run promptly; cancelling an ended run changes nothing", async ({ request }) => {
  const { id } = await (await request.post("/api/v1/workflows/release-pipeline/runs", { headers: json, data: { response_mode: "async" } })).json();
  // Wait until a step is running.
  await readSse(`${BASE}/api/v1/runs/${id}/events`, auth, (frame, stop) => {
    if (frame.type === "step_started") stop();
  });
  const asked = Date.now();
  const cancel = await request.post(`/api/v1/runs/${id}/cancel`, { headers: auth });
  expect(cancel.status()).toBe(202);
  expect(await cancel.json()).toMatchObject({ id, status: "cancelling", changed: true });
  const run = await waitForRun(request, id);
  expect(Date.now() - asked).toBeLessThan(1500);
  expect(run.status).toBe("cancelled");
  expect(run.error.code).toBe("cancelled");
  expect(run.outputs).toBeNull();
  const again = await request.post(`/api/v1/runs/${id}/cancel`, { headers: json, data: { reason: "twice" } });
  expect(await again.json()).toMatchObject({ status: "cancelled", changed: false });
});

test("re-run: same inputs, edited inputs and another version, from a step, with lineage", async ({ request }) => {
  const first = runSchema.parse(await (await request.post("/api/v1/workflows/greet/runs", {
    headers: json, data: { inputs: { name: "Ann" }, label: "production", return_all_outputs: true },
  })).json());

  const same = runSchema.parse(await (await request.post(`/api/v1/runs/${first.id}/rerun`, { headers: auth })).json());
  expect(same).toMatchObject({ status: "succeeded", parent_run_id: first.id, origin: "rerun", version: 1, inputs: { name: "Ann" } });

  const edited = runSchema.parse(await (await request.post(`/api/v1/runs/${first.id}/rerun`, {
    headers: json, data: { inputs: { name: "Bea", punctuation: "?" }, label: "staging", from_step: "shout", return_all_outputs: true },
  })).json());
  expect(edited).toMatchObject({ version: 2, label: "staging", rerun_from_step: "shout", parent_run_id: first.id });
  // The greet step was kept from the first run ("Hello, Ann!"); shout and result ran again on it.
  expect(edited.step_outputs!.greet).toBe("Hello, Ann!");
  expect(edited.outputs).toEqual({ greeting: "HELLO, ANN!", length: 11 });

  const badStep = await request.post(`/api/v1/runs/${first.id}/rerun`, { headers: json, data: { from_step: "nope" } });
  expect(badStep.status()).toBe(422);

  const children = runPageSchema.parse(await (await request.get(`/api/v1/runs?origin=rerun&limit=100`, { headers: auth })).json());
  expect(children.data.filter((r) => r.parent_run_id === first.id).map((r) => r.id)).toEqual(expect.arrayContaining([same.id, edited.id]));
});

test("list runs: filters and cursor pagination", async ({ request }) => {
  const tag = `batch-${Date.now()}`;
  for (let i = 0; i < 3; i++) {
    expect((await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { metadata: { batch: tag }, label: "staging" } })).status()).toBe(200);
  }
  const page1 = runPageSchema.parse(await (await request.get(`/api/v1/runs?q=${tag}&limit=2`, { headers: auth })).json());
  expect(page1.data).toHaveLength(2);
  expect(page1.has_more).toBe(true);
  const page2 = runPageSchema.parse(await (await request.get(`/api/v1/runs?q=${tag}&limit=2&cursor=${page1.next_cursor}`, { headers: auth })).json());
  expect(page2.data).toHaveLength(1);
  expect(page2.next_cursor).toBeNull();
  expect(new Set([...page1.data, ...page2.data].map((r) => r.id)).size).toBe(3);

  const filtered = runPageSchema.parse(await (await request.get(
    `/api/v1/runs?workflow=greet&status=succeeded&label=staging&version=2&origin=api&created_after=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}&limit=100`,
    { headers: auth },
  )).json());
  expect(filtered.data.length).toBeGreaterThanOrEqual(3);
  expect(filtered.data.every((r) => r.workflow.name === "greet" && r.label === "staging" && r.version === 2 && r.status === "succeeded")).toBe(true);
  const future = await (await request.get(`/api/v1/runs?created_after=2999-01-01T00:00:00Z`, { headers: auth })).json();
  expect(future.data).toEqual([]);
  expect((await request.get(`/api/v1/runs?status=sleeping`, { headers: auth })).status()).toBe(422);
  expect((await request.get(`/api/v1/runs?cursor=garbage`, { headers: auth })).status()).toBe(422);
  expect((await request.get(`/api/v1/runs?workflow=no-such-flow`, { headers: auth })).status()).toBe(404);
});

test("files by URL are fetched server-side and stored; private or failing URLs are refused and store nothing", async ({ request }) => {
  const receiver = await startReceiver((_n, req) =>
    req.url === "/data.csv" ? { status: 200, body: "a,b\n1,2\n3,4\n", headers: { "content-type": "text/csv" } } : { status: 404 });
  try {
    const run = runSchema.parse(await (await request.post("/api/v1/workflows/document-stats/runs", {
      headers: json, data: { inputs: { document: { url: `${receiver.url}/data.csv` } } },
    })).json());
    expect(run.status).toBe("succeeded");
    expect(run.outputs!.stats).toMatchObject({ format: "csv", rows: 2 });
    expect(run.inputs.document).toMatchObject({ name: "data.csv", mime_type: "text/csv" });

    const files = countRows("File");
    const runs = countRows("Run");
    const missing = await request.post("/api/v1/workflows/document-stats/runs", { headers: json, data: { inputs: { document: `${receiver.url}/gone.csv` } } });
    expect(missing.status()).toBe(422);
    const privateUrl = await request.post("/api/v1/workflows/document-stats/runs", { headers: json, data: { inputs: { document: { url: "http://127.0.0.1:9/x.txt" } } } });
    expect(privateUrl.status()).toBe(422);
    expect((await privateUrl.json()).detail[0]).toMatchObject({ loc: ["inputs", "document"], type: "value_error.url" });
    expect(countRows("File")).toBe(files);
    expect(countRows("Run")).toBe(runs);
  } finally {
    await receiver.close();
  }
});

test("a run started over HTTP shows in the console", async ({ page, request }) => {
  const run = runSchema.parse(await (await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { inputs: { name: "Web" } } })).json());
  await signIn(page);
  await page.goto(run.web_url);
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  await expect(page.getByText("HELLO, WEB!").first()).toBeVisible();
});
