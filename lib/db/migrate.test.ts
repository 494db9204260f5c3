/**
 * The migration runner against real databases: a temp SQLite file, and PostgreSQL at
 * FLOWDECK_TEST_PG_URL (default: the local server; a role with CREATEDB: each run works in
 * empty databases of its own, dropped afterwards). Without a reachable PostgreSQL the PG
 * half is skipped, saying why; in CI it is required. Neither half depends on the database
 * the suite runs on (DATABASE_URL).
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createAdapterFactory } from "./adapter";
import { applyMigrations, lockfileText, PROVIDER_PATHS } from "./migrate";
import { createTestPgDatabase, pgUnavailable, type TestPgDatabase } from "./test-database";

const pgMissing = await pgUnavailable();
const tmp = mkdtempSync(path.join(os.tmpdir(), "flowdeck-migrate-"));

// Tables the schema promises (a sample) plus Prisma's own bookkeeping.
const expectedTables = ["_prisma_migrations", "User", "Workspace", "Workflow", "Run"];

async function query(url: string, sql: string): Promise<unknown[][]> {
  const adapter = await createAdapterFactory(url).connect();
  try {
    return (await adapter.queryRaw({ sql, args: [], argTypes: [] })).rows;
  } finally {
    await adapter.dispose();
  }
}

/** The folder names of a provider's migrations (checking its lock file on the way). */
function migrationNames(provider: "sqlite" | "postgresql"): string[] {
  const dir = PROVIDER_PATHS[provider].migrations;
  expect(readFileSync(path.join(dir, "migration_lock.toml"), "utf8")).toBe(lockfileText(provider));
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A migrations folder whose second migration cannot run. */
function brokenHistory(provider: "sqlite" | "postgresql"): string {
  const dir = path.join(tmp, `broken-${provider}`);
  const write = (name: string, sql: string) => {
    mkdirSync(path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, name, "migration.sql"), sql);
  };
  write("20260101000000_ok", 'CREATE TABLE "Ok" ("id" INTEGER PRIMARY KEY);\n');
  write("20260101000001_bad", 'INSERT INTO "Missing" VALUES (1);\n');
  writeFileSync(path.join(dir, "migration_lock.toml"), lockfileText(provider));
  return dir;
}

describe("applyMigrations on SQLite", () => {
  const url = `file:${path.join(tmp, "nested/dir/app.db")}`; // the folder does not exist yet

  it("creates the file and every table, recording each migration", async () => {
    const { applied } = await applyMigrations(url);
    expect(applied).toEqual(migrationNames("sqlite"));
    const tables = (await query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r[0]);
    expect(tables).toEqual(expect.arrayContaining(expectedTables));
  });

  it("applies nothing the second time", async () => {
    expect(await applyMigrations(url)).toEqual({ applied: [] });
  });

  it("fails with the failing migration's name and stays failed", async () => {
    const brokenUrl = `file:${path.join(tmp, "broken.db")}`;
    const migrationsDir = brokenHistory("sqlite");
    await expect(applyMigrations(brokenUrl, { migrationsDir })).rejects.toThrow(/20260101000001_bad failed/);
    await expect(applyMigrations(brokenUrl, { migrationsDir })).rejects.toThrow(/P3009/);
  });
});

describe.skipIf(!!pgMissing)(`applyMigrations on PostgreSQL${pgMissing ? ` (skipped: ${pgMissing})` : ""}`, () => {
  // Empty databases (not the migrated test template): the runner starts from nothing.
  let fresh: TestPgDatabase;
  let broken: TestPgDatabase;

  afterAll(async () => {
    await fresh?.drop({ force: true });
    await broken?.drop({ force: true });
  });

  it("creates every table, recording each migration", async () => {
    fresh = await createTestPgDatabase({ migrated: false });
    const { applied } = await applyMigrations(fresh.url);
    expect(applied).toEqual(migrationNames("postgresql"));
    const tables = (
      await query(fresh.url, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
    ).map((r) => r[0]);
    expect(tables).toEqual(expect.arrayContaining(expectedTables));
  });

  it("applies nothing the second time", async () => {
    expect(await applyMigrations(fresh.url)).toEqual({ applied: [] });
  });

  it("fails with the failing migration's name and stays failed", async () => {
    broken = await createTestPgDatabase({ migrated: false });
    const migrationsDir = brokenHistory("postgresql");
    await expect(applyMigrations(broken.url, { migrationsDir })).rejects.toThrow(/20260101000001_bad failed/);
    await expect(applyMigrations(broken.url, { migrationsDir })).rejects.toThrow(/P3009/);
  });
});
