/**
 * The Prisma client for DATABASE_URL. Only lib/services (and scripts) import this.
 *
 * Both generated clients come from the same schema, so they share one API; the SQLite
 * client's type stands for both.
 */
import { PrismaClient as SqliteClient } from "../generated/sqlite/client";
import { PrismaClient as PostgresClient } from "../generated/postgres/client";
import { createAdapterFactory } from "./adapter";
import { databaseProvider, databaseUrl } from "./config";
import { captureSqliteConnection } from "./sqlite-direct";

export type Db = SqliteClient;

function createClient(url: string): Db {
  const adapter = createAdapterFactory(url);
  if (databaseProvider(url) === "sqlite") {
    const client = new SqliteClient({ adapter: captureSqliteConnection(adapter) });
    // One connection, set up once: WAL lets readers run beside the writer; NORMAL sync is
    // durable across process crashes (only an OS crash can lose the last transactions).
    client.$executeRawUnsafe("PRAGMA journal_mode = WAL").catch(() => {});
    client.$executeRawUnsafe("PRAGMA synchronous = NORMAL").catch(() => {});
    client.$executeRawUnsafe("PRAGMA foreign_keys = ON").catch(() => {});
    return client;
  }
  return new PostgresClient({ adapter }) as unknown as Db;
}

const globalForDb = globalThis as unknown as { flowdeckDb?: Db };

/** Process-wide client (kept on globalThis so dev reloads do not open a new one each time). */
export const db: Db = globalForDb.flowdeckDb ?? (globalForDb.flowdeckDb = createClient(databaseUrl()));
