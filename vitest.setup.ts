/**
 * Each test file runs in its own process with its own database and data folder, so
 * integration tests use a real, fresh database without touching data/.
 * FLOWDECK_TEST_DATABASE_URL (e.g. a PostgreSQL URL) overrides the SQLite default.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const dir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-test-"));
process.env.DATABASE_URL = process.env.FLOWDECK_TEST_DATABASE_URL ?? `file:${dir}/test.db`;
process.env.FLOWDECK_DATA_DIR = dir;
process.env.FLOWDECK_SECRET_KEY ??= "test-secret-key";
