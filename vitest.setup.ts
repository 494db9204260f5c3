/**
 * Each test file runs in its own process with its own database and data folder, so
 * integration tests use a real, fresh database without touching data/.
 *
 * SQLite by default (a temp file). FLOWDECK_TEST_DATABASE_URL=postgres://… (or
 * FLOWDECK_TEST_PG=1, with FLOWDECK_TEST_PG_URL or the local default server) runs the file
 * on PostgreSQL instead: a database of its own, copied from the migrated template, dropped
 * after the file (see lib/db/test-database.ts), with runs executed inline as on SQLite.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, inject } from "vitest";
import { createTestPgDatabase, testSuiteProvider } from "./lib/db/test-database";

const dir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-test-"));
process.env.FLOWDECK_DATA_DIR = dir;
process.env.FLOWDECK_SECRET_KEY ??= "test-secret-key";
// The run's id (vitest.global-setup.ts) names the databases this file creates.
const runId = inject("flowdeckTestRunId");
if (runId) process.env.FLOWDECK_TEST_RUN_ID ??= runId;

if (testSuiteProvider() === "postgresql") {
  const database = await createTestPgDatabase();
  process.env.DATABASE_URL = database.url;
  // PostgreSQL deployments execute runs in worker processes; the suite's tests start runs and
  // wait for them in this process, as on SQLite. Tests of worker mode set it themselves.
  process.env.FLOWDECK_EXECUTOR ??= "inline";
  afterAll(async () => {
    // The file's Prisma client (lib/db/client keeps it on globalThis) must let go first.
    const client = (globalThis as { flowdeckDb?: { $disconnect(): Promise<void> } }).flowdeckDb;
    await client?.$disconnect().catch(() => {});
    await database.drop();
  });
} else {
  process.env.DATABASE_URL = `file:${dir}/test.db`;
}
