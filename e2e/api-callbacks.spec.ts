/**
 * callback_url over real HTTP: a local receiver fails twice, then accepts. The server retries
 * with backoff, signs every attempt with the workspace secret, and lists each attempt on the run.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { expect, test } from "@playwright/test";
import { runSchema } from "../lib/schemas/api-runs";
import { auth, startReceiver, waitForRun } from "./api-helpers";

const json = { ...auth, "content-type": "application/json" };

/** Verifies `t=<unix>,v1=<hex>` the way a receiver should, from the documented scheme only. */
function verify(secret: string, body: string, header: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], "hex")) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

test("callbacks are signed, retried with backoff after failures, and recorded on the run", async ({ request }) => {
  test.setTimeout(60_000);
  const secretRes = await request.get("/api/v1/workspace/signing-secret", { headers: auth });
  expect(secretRes.status()).toBe(200);
  const { secret, header } = await secretRes.json();
  expect(header).toBe("X-Flowdeck-Signature");
  expect(secret.length).toBeGreaterThanOrEqual(32);

  const receiver = await startReceiver((n) => ({ status: n <= 2 ? 500 : 200, body: n <= 2 ? "not yet" : "ok" }));
  try {
    const res = await request.post("/api/v1/workflows/greet/runs", {
      headers: json, data: { inputs: { name: "Hook" }, callback_url: `${receiver.url}/hooks/flowdeck`, response_mode: "async" },
    });
    expect(res.status()).toBe(202);
    const { id } = await res.json();
    await waitForRun(request, id);
    await expect.poll(() => receiver.requests.length, { timeout: 30_000 }).toBe(3);

    for (const seen of receiver.requests) {
      expect(seen.headers["content-type"]).toBe("application/json");
      expect(verify(secret, seen.body, String(seen.headers["x-flowdeck-signature"]))).toBe(true);
      expect(verify(secret, seen.body.replace("HOOK", "HACK"), String(seen.headers["x-flowdeck-signature"]))).toBe(false);
      const payload = JSON.parse(seen.body);
      expect(payload.event).toBe("run.finished");
      const run = runSchema.parse(payload.run);
      expect(run).toMatchObject({ id, status: "succeeded", outputs: { greeting: "HELLO, HOOK!" } });
    }
    expect(receiver.requests.map((r) => r.headers["x-flowdeck-attempt"])).toEqual(["1", "2", "3"]);
    const gaps = [1, 2].map((i) => receiver.requests[i].at - receiver.requests[i - 1].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(1500);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);

    await expect.poll(async () => (await (await request.get(`/api/v1/runs/${id}`, { headers: auth })).json()).callback.deliveries
      .map((d: { attempt: number; state: string; status_code: number }) => [d.attempt, d.state, d.status_code]))
      .toEqual([[1, "failed", 500], [2, "failed", 500], [3, "delivered", 200]]);
  } finally {
    await receiver.close();
  }
});

test("a callback to a private address is refused by the network rule, and recorded as failed", async ({ request }) => {
  const bad = await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { callback_url: "ftp://example.com/x" } });
  expect(bad.status()).toBe(422);
  const res = await request.post("/api/v1/workflows/greet/runs", { headers: json, data: { callback_url: "http://10.0.0.1:9/hook" } });
  expect(res.status()).toBe(200);
  const { id } = await res.json();
  await expect.poll(async () => {
    const run = await (await request.get(`/api/v1/runs/${id}`, { headers: auth })).json();
    return run.callback.deliveries[0]?.error ?? "";
  }).toMatch(/Blocked request/);
});
