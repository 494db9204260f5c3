/**
 * Paths that are not valid percent-encoding are a 400 from the server itself (Next.js's router
 * answered them with a 500: found by lib/api/fuzz.test.ts with `/api/v1/runs/%|S/events`).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerMalformedTarget, malformedPath } from "./request-target";

describe("malformedPath", () => {
  it.each(["/api/v1/runs/%zz", "/api/v1/runs/%|S/events", "/v1/workflows/run/%E0%A4%A", "/a/%", "/x/%C0%AF", "/x/%ED%A0%80"])("refuses %s", (p) => {
    expect(malformedPath(p)).toMatch(/not valid percent-encoding/);
  });
  it.each(["/api/v1/runs/abc", "/api/v1/runs/%20x", "/a/%F0%9F%92%A5", "/a/b?q=%zz", "/", "/a/%25"])("accepts %s", (p) => {
    expect(malformedPath(p)).toBeNull();
  });
});

describe("answerMalformedTarget over HTTP", () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (answerMalformedTarget(req, res)) return;
      res.end("routed");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });

  it("answers 400 with a machine-readable body, and lets good paths through", async () => {
    const bad = await get("/api/v1/runs/%zz/events");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: "bad_request", message: expect.stringContaining("%zz") });
    expect(await get("/api/v1/runs/abc%20d")).toEqual({ status: 200, body: "routed" });
  });
});
