/**
 * Fresh PostgreSQL databases for tests (vitest.setup.ts gives each test file one when the
 * suite runs on PostgreSQL; tests that need PostgreSQL whatever the suite runs on call
 * createTestPgDatabase()).
 *
 * A test database holds what the setup gives a PostgreSQL deployment: the app's migrations
 * (lib/db/migrate.ts) and graphile-worker's schema (the job queue of `npm run worker`).
 * Migrating through the schema engine costs about a second, so both are applied once to a
 * template database (named after a hash of the migrations folder and the graphile-worker
 * version, kept between runs) and every test database is a copy of it (CREATE DATABASE …
 * TEMPLATE), which takes a few tens of milliseconds.
 *
 * Test-only: nothing in the app imports this module.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Logger, runMigrations as migrateJobQueueSchema } from "graphile-worker";
import { Client } from "pg";
import { databaseProvider } from "./config";
import { applyMigrations, PROVIDER_PATHS } from "./migrate";

export const DEFAULT_TEST_PG_URL = "postgres://flowdeck:flowdeck@127.0.0.1:5432/flowdeck";

/** Every database this module creates starts with this; the run id follows it. */
const DB_PREFIX = "flowdeck_test_";
const TEMPLATE_PREFIX = "flowdeck_tpl_";
/** Databases of runs that ended without their teardown (killed) are dropped after this. */
const STALE_AFTER_MS = 2 * 60 * 60 * 1000;

/**
 * The server tests create their databases on (its database is only used to connect to):
 * FLOWDECK_TEST_PG_URL, else a PostgreSQL FLOWDECK_TEST_DATABASE_URL, else the local default.
 */
export function testPgUrl(): string {
  const fromSuite = process.env.FLOWDECK_TEST_DATABASE_URL?.trim();
  return (
    process.env.FLOWDECK_TEST_PG_URL?.trim() ||
    (fromSuite && databaseProvider(fromSuite) === "postgresql" ? fromSuite : "") ||
    DEFAULT_TEST_PG_URL
  );
}

/**
 * Which database the suite runs on: PostgreSQL when FLOWDECK_TEST_DATABASE_URL is a
 * postgres:// URL or FLOWDECK_TEST_PG=1, SQLite (a temp file per test file) otherwise.
 */
export function testSuiteProvider(): "sqlite" | "postgresql" {
  const url = process.env.FLOWDECK_TEST_DATABASE_URL?.trim();
  if (url) return databaseProvider(url);
  return process.env.FLOWDECK_TEST_PG === "1" ? "postgresql" : "sqlite";
}

/** One id per vitest run (globalSetup sets it, so teardown can drop what the run left). */
export function testRunId(): string {
  return (process.env.FLOWDECK_TEST_RUN_ID ??= newRunId());
}

// Base-36 milliseconds first, so a stale database's age can be read from its name.
const newRunId = () => `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

const isCi = () => !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";

/** `url` with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Why PostgreSQL tests cannot run here, or null when they can. In CI (CI=true) PostgreSQL
 * is required, so an unreachable server throws instead (the test file fails). Use it as
 *   const pgMissing = await pgUnavailable();
 *   describe.skipIf(!!pgMissing)(`… ${pgMissing ? `(skipped: ${pgMissing})` : ""}`, …)
 */
export async function pgUnavailable(url: string = testPgUrl()): Promise<string | null> {
  try {
    await withAdmin(url, async () => {});
    return null;
  } catch (e) {
    const reason = `PostgreSQL unreachable at ${redact(url)}: ${(e as Error).message}`;
    if (isCi()) throw new Error(`${reason} (required in CI)`, { cause: e });
    return `${reason}; set FLOWDECK_TEST_PG_URL to run these tests`;
  }
}

export type TestPgDatabase = {
  /** postgres:// URL of the new database (same server and role as the base URL). */
  url: string;
  name: string;
  /**
   * Drop it, best effort. Without `force` it waits up to a second for other connections to
   * close, then leaves it to the run's teardown (which forces); `force` ends them at once.
   */
  drop(options?: { force?: boolean }): Promise<void>;
};

/**
 * A new database with every migration applied, named flowdeck_test_<run>_<pid>_<random>.
 * `migrated: false` gives an empty one. The role needs CREATEDB.
 */
export async function createTestPgDatabase(
  options: { baseUrl?: string; migrated?: boolean } = {},
): Promise<TestPgDatabase> {
  const baseUrl = options.baseUrl ?? testPgUrl();
  const name = `${DB_PREFIX}${testRunId()}_${process.pid}_${randomBytes(3).toString("hex")}`;
  await withAdmin(baseUrl, async (admin) => {
    if (options.migrated === false) {
      await admin.query(`CREATE DATABASE "${name}"`);
      return;
    }
    const template = await ensureTemplate(admin, baseUrl);
    // Copying fails while anyone is connected to the template (only briefly: while it is built).
    await retryWhileBusy(() => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  });
  let dropped = false;
  return {
    url: withDatabase(baseUrl, name),
    name,
    async drop({ force = false } = {}) {
      if (dropped) return;
      dropped = true;
      await withAdmin(baseUrl, (admin) =>
        retryWhileBusy(() => admin.query(`DROP DATABASE IF EXISTS "${name}"${force ? " WITH (FORCE)" : ""}`), 10),
      ).catch(() => {});
    },
  };
}

/**
 * Drop the databases a run left behind (its own, or any run's older than STALE_AFTER_MS)
 * and templates of older migration sets. Best effort; used by the vitest globalSetup.
 */
export async function dropTestDatabases(opts: { runId?: string; baseUrl?: string } = {}): Promise<string[]> {
  const baseUrl = opts.baseUrl ?? testPgUrl();
  const dropped: string[] = [];
  await withAdmin(baseUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'flowdeck\\_test\\_%' OR datname LIKE 'flowdeck\\_tpl\\_%'",
    );
    const currentTemplate = templateName();
    for (const { datname } of rows) {
      let drop: boolean;
      if (datname.startsWith(TEMPLATE_PREFIX)) drop = datname !== currentTemplate && !datname.endsWith("_build");
      else if (opts.runId && datname.startsWith(`${DB_PREFIX}${opts.runId}_`)) drop = true;
      else drop = Date.now() - runStartedAt(datname.slice(DB_PREFIX.length)) > STALE_AFTER_MS;
      if (!drop) continue;
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        dropped.push(datname);
      } catch {
        // Someone else's run may be dropping it at the same moment.
      }
    }
  });
  return dropped;
}

/** When the run that named a database started (from the base-36 time at the front of its run id). */
function runStartedAt(rest: string): number {
  const ms = parseInt(rest.slice(0, 8), 36);
  return Number.isFinite(ms) ? ms : 0;
}

// ── Template ─────────────────────────────────────────────────────────────────────────────

/** Build the migrated template now (once per migrations set), so test files only copy it. */
export async function prepareTestPgTemplate(baseUrl: string = testPgUrl()): Promise<string> {
  return withAdmin(baseUrl, (admin) => ensureTemplate(admin, baseUrl));
}

/** The template's name changes whenever a PostgreSQL migration is added or edited (or graphile-worker's version). */
export function templateName(): string {
  const dir = PROVIDER_PATHS.postgresql.migrations;
  const hash = createHash("sha256");
  hash.update(`graphile-worker@${graphileWorkerVersion()}`);
  for (const entry of readdirSync(dir).sort()) {
    const file = path.join(dir, entry, "migration.sql");
    hash.update(entry);
    try {
      if (statSync(file).isFile()) hash.update(readFileSync(file));
    } catch {
      // migration_lock.toml (not a folder)
    }
  }
  return `${TEMPLATE_PREFIX}${hash.digest("hex").slice(0, 16)}`;
}

/**
 * Make sure the migrated template exists. Test processes race for it, so it is built under
 * an advisory lock, in a scratch name renamed once complete: the template's name existing
 * means it is whole.
 */
async function ensureTemplate(admin: Client, baseUrl: string): Promise<string> {
  const template = templateName();
  const exists = async (name: string) =>
    (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  if (await exists(template)) return template;
  await admin.query("SELECT pg_advisory_lock(hashtext('flowdeck test template'))");
  try {
    if (await exists(template)) return template;
    const building = `${template}_build`;
    await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${building}"`);
    const url = withDatabase(baseUrl, building);
    await applyMigrations(url);
    await migrateJobQueueSchema({ connectionString: url, logger: silentLogger });
    // The migration runner's connections are closed, but the server may take a moment to see it.
    await retryWhileBusy(() => admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`));
    return template;
  } finally {
    await admin.query("SELECT pg_advisory_unlock(hashtext('flowdeck test template'))").catch(() => {});
  }
}

const silentLogger = new Logger(() => () => {});

function graphileWorkerVersion(): string {
  const pkg = createRequire(import.meta.url).resolve("graphile-worker/package.json");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

// ── Connections ──────────────────────────────────────────────────────────────────────────

async function withAdmin<T>(url: string, fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  admin.on("error", () => {}); // a dropped connection surfaces in the query that needed it
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end().catch(() => {});
  }
}

/** 55006 = object_in_use ("source database is being accessed by other users"). */
async function retryWhileBusy<T>(fn: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if ((e as { code?: string }).code !== "55006" || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const redact = (url: string) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
};
