/**
 * Generates both Prisma clients (SQLite and PostgreSQL) from the one hand-edited schema.
 *
 * prisma/schema.prisma is the source of truth (provider "sqlite"). The PostgreSQL copy is
 * derived from it, because a Prisma schema's provider is a literal and a client generated
 * for one provider refuses the other's driver adapter.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const sqliteSchema = path.join(root, "prisma/schema.prisma");
const pgSchema = path.join(root, "prisma/postgres/schema.prisma");

if (!existsSync(sqliteSchema)) {
  console.log("db-generate: no prisma/schema.prisma yet, skipping");
  process.exit(0);
}

export function derivePostgresSchema(source: string): string {
  return source
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace(/output\s*=\s*"\.\.\/lib\/generated\/sqlite"/, 'output = "../../lib/generated/postgres"');
}

mkdirSync(path.dirname(pgSchema), { recursive: true });
const derived =
  "// GENERATED from prisma/schema.prisma by scripts/db-generate.ts — do not edit.\n" +
  derivePostgresSchema(readFileSync(sqliteSchema, "utf8"));
writeFileSync(pgSchema, derived);

const prismaBin = path.join(root, "node_modules/.bin/prisma");
const env = {
  ...process.env,
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  // generate only needs the path to exist; it never runs the engine (see STACK.md).
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  DATABASE_URL: process.env.DATABASE_URL ?? "file:./data/flowdeck.db",
};
for (const schema of [sqliteSchema, pgSchema]) {
  execFileSync(prismaBin, ["generate", "--schema", schema], { cwd: root, env, stdio: "inherit" });
}
