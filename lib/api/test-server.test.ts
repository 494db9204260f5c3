import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, testServerUnavailable, type TestServer } from "./test-server";

const skip = testServerUnavailable();

describe.skipIf(skip)("test server harness", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 90_000);
  afterAll(() => server?.stop());

  it("serves the app over HTTP on this file's database", async () => {
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    // A route that reads the database: no key → 401 with a machine-readable body.
    const runs = await fetch(`${server.url}/api/v1/runs`);
    expect(runs.status).toBe(401);
    expect(await runs.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it("stops on SIGTERM", async () => {
    await server.stop();
    expect(server.process.exitCode != null || server.process.signalCode != null).toBe(true);
  });
});
