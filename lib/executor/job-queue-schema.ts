/**
 * graphile-worker's own tables and functions (schema `graphile_worker`) on PostgreSQL.
 * Applied by the setup (`npm start`, `npm run db:migrate`) and by every worker at start;
 * idempotent (graphile-worker records what it has applied). Not imported by the web app.
 */
import { runMigrations } from "graphile-worker";
import { databaseProvider, databaseUrl } from "../db/config";

export async function migrateJobQueue(url: string = databaseUrl()): Promise<boolean> {
  if (databaseProvider(url) !== "postgresql") return false;
  await runMigrations({ connectionString: url, logger: undefined });
  return true;
}
