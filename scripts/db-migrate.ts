/**
 * `npm run db:migrate`: apply pending migrations to DATABASE_URL (default
 * file:./data/flowdeck.db), from prisma/migrations or prisma/postgres/migrations.
 * `npm start` does the same on its own; this is for doing it by hand (deploys, CI).
 */
import path from "node:path";
import { databaseProvider, databaseUrl } from "../lib/db/config";
import { applyMigrations } from "../lib/db/migrate";

// Relative SQLite paths are relative to the project, as for `npm start`.
process.chdir(path.resolve(import.meta.dirname, ".."));
const url = databaseUrl();
try {
  const { applied } = await applyMigrations(url);
  // Never print a password: PostgreSQL is named by host and database only.
  const where = databaseProvider(url) === "sqlite" ? url : `postgres://${new URL(url).host}${new URL(url).pathname}`;
  if (applied.length) for (const name of applied) console.log(`applied ${name}`);
  console.log(applied.length ? `${applied.length} migration(s) applied to ${where}` : `${where} is up to date`);
  // On PostgreSQL, also graphile-worker's schema (the job queue of `npm run worker`).
  const { migrateJobQueue } = await import("../lib/executor/job-queue-schema");
  if (await migrateJobQueue(url)) console.log(`job queue schema (graphile_worker) is up to date on ${where}`);
} catch (e) {
  console.error(`db-migrate: ${(e as Error).message}`);
  process.exit(1);
}
