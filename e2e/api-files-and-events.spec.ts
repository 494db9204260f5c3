/** Real HTTP against the production server: upload and event-stream routes, good and bad. */
import { expect, test } from "@playwright/test";
import { countRows, signIn } from "./helpers";

const KEY = process.env.FLOWDECK_DEMO_API_KEY ?? "fd_e2e_demo_key_0123456789";
const auth = { authorization: `Bearer ${KEY}` };

test("file upload: stores a file, and refuses bad requests with a clear 4xx", async ({ request }) => {
  const before = countRows("File");
  const ok = await request.post("/api/v1/files", {
    headers: auth, multipart: { file: { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") } },
  });
  expect(ok.status()).toBe(201);
  expect(await ok.json()).toMatchObject({ name: "notes.txt", size: 5, mime_type: "text/plain" });
  expect(countRows("File")).toBe(before + 1);

  const badKey = await request.post("/api/v1/files", {
    headers: { authorization: "Bearer fd_wrong" }, multipart: { file: { name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("x") } },
  });
  expect(badKey.status()).toBe(401);
  expect(await badKey.json()).toMatchObject({ code: "unauthorized" });

  const noAuth = await request.post("/api/v1/files", { multipart: { file: { name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("x") } } });
  expect(noAuth.status()).toBe(401);

  const json = await request.post("/api/v1/files", { headers: auth, data: { file: "not a file" } });
  expect(json.status()).toBe(415);

  const missing = await request.post("/api/v1/files", { headers: auth, multipart: { other: "x" } });
  expect(missing.status()).toBe(422);
  expect((await missing.json()).detail[0].loc).toEqual(["body", "file"]);

  expect(countRows("File")).toBe(before + 1);
});

test("event stream: unknown runs and share tokens are 404, never 5xx", async ({ request }) => {
  const unknown = await request.get("/api/v1/runs/00000000-0000-4000-8000-000000000000/events", { headers: auth });
  expect(unknown.status()).toBe(404);
  const garbage = await request.get("/api/v1/runs/%27%3B--/events", { headers: auth });
  expect(garbage.status()).toBe(404);
  const share = await request.get("/api/share/nope/events");
  expect(share.status()).toBe(404);
});

test("event stream: replays a finished run from Last-Event-ID, gap-free, then closes", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/w/demo/workflows/greet");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByTestId("run-status")).toContainText("succeeded");
  const runId = page.url().split("/").pop()!;

  const parse = (body: string) =>
    body.split("\n\n").filter((f) => f.startsWith("id: ")).map((f) => JSON.parse(f.split("\ndata: ")[1]) as { seq: number; type: string });

  const all = parse(await (await request.get(`/api/v1/runs/${runId}/events`, { headers: auth })).text());
  expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
  expect(all[0].type).toBe("run_started");
  expect(all.at(-1)!.type).toBe("run_finished");

  const rest = await request.get(`/api/v1/runs/${runId}/events`, { headers: { ...auth, "last-event-id": "3" } });
  expect(rest.headers()["content-type"]).toContain("text/event-stream");
  expect(parse(await rest.text()).map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));

  const none = await request.get(`/api/v1/runs/${runId}/events?after=${all.length}`, { headers: auth });
  expect(parse(await none.text())).toEqual([]);
});
