/**
 * `npx tsx scripts/db-diff.ts <name>`: write the next migration for both providers.
 *
 * For each provider the engine replays the migrations folder on a scratch database and
 * compares the result with the schema (what `prisma migrate diff --from-migrations
 * --to-schema --script` does), so no real database is touched:
 *   - SQLite: the engine's shadow database is in memory; a temp file stands in as the main one.
 *   - PostgreSQL: the engine creates and drops a scratch database on the local server
 *     FLOWDECK_PG_ADMIN_URL (a role with CREATEDB).
 * The SQL goes to prisma/migrations/<timestamp>_<name>/migration.sql and the same under
 * prisma/postgres/migrations, with migration_lock.toml as Prisma writes it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DatabaseProvider } from "../lib/db/config";
import { lockfileText, PROVIDER_PATHS, readMigrationsList, schemaFilters, withSchemaEngine } from "../lib/db/migrate";

const root = path.resolve(import.meta.dirname, "..");
const pgAdminUrl = process.env.FLOWDECK_PG_ADMIN_URL || "postgres://flowdeck:flowdeck@127.0.0.1:5432/postgres";

const rawName = process.argv[2];
if (!rawName) {
  console.error("usage: npx tsx scripts/db-diff.ts <name>");
  process.exit(2);
}
// Prisma's own rule for folder names: lowercase words joined by underscores.
const name = rawName.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 200);
if (!name) throw new Error(`"${rawName}" is not a usable migration name`);

// The PostgreSQL schema is derived from the SQLite one; derive it now so the diff never
// works from a stale copy (this also regenerates both clients, which the change needs anyway).
execFileSync(path.join(root, "node_modules/.bin/tsx"), [path.join(root, "scripts/db-generate.ts")], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
});

async function diff(provider: DatabaseProvider): Promise<string | null> {
  const { migrations, schema } = PROVIDER_PATHS[provider];
  const scratch = provider === "sqlite" ? mkdtempSync(path.join(os.tmpdir(), "flowdeck-diff-")) : null;
  const url = scratch ? `file:${path.join(scratch, "main.db")}` : pgAdminUrl;
  try {
    const list = readMigrationsList(migrations);
    // A first migration has no lock file yet; the engine needs one to know the connector.
    list.lockfile.content ??= lockfileText(provider);
    const { stdout } = await withSchemaEngine(url, (engine) =>
      engine.diff({
        from: { tag: "migrations", ...list },
        to: { tag: "schemaDatamodel", files: [{ path: schema, content: readFileSync(schema, "utf8") }] },
        script: true,
        exitCode: null,
        filters: schemaFilters(provider),
      }),
    );
    const script = stdout ?? "";
    // An empty diff comes back as a comment only ("-- This is an empty migration.").
    const statements = script.replace(/--.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "").trim();
    return statements ? script : null;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

// Both diffs first, so a failure (say, no PostgreSQL server) leaves neither folder half done.
let scripts: Record<DatabaseProvider, string | null>;
try {
  scripts = { sqlite: await diff("sqlite"), postgresql: await diff("postgresql") };
} catch (e) {
  console.error(`db-diff: ${(e as Error).message}`);
  process.exit(1);
}

// One timestamp for both, so the two histories keep the same folder names (UTC, as Prisma).
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
for (const provider of ["sqlite", "postgresql"] as const) {
  const script = scripts[provider];
  if (!script) {
    console.log(`${provider}: no changes`);
    continue;
  }
  const dir = PROVIDER_PATHS[provider].migrations;
  const folder = path.join(dir, `${stamp}_${name}`);
  if (existsSync(folder)) throw new Error(`${folder} already exists`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, "migration.sql"), script);
  const lock = path.join(dir, "migration_lock.toml");
  if (!existsSync(lock)) writeFileSync(lock, lockfileText(provider));
  console.log(`${provider}: wrote ${path.relative(root, folder)}/migration.sql`);
}
if (!scripts.sqlite && !scripts.postgresql) console.log("no changes");
