/**
 * The Prisma client for DATABASE_URL. Only lib/services (and scripts) import this.
 *
 * Both generated clients come from the same schema, so they share one API; the SQLite
 * client's type stands for both.
 */
import { PrismaClient as SqliteClient } from "../generated/sqlite/client";
import { PrismaClient as PostgresClient } from "../generated/postgres/client";
import { createAdapterFactory } from "./adapter";
import { databaseProvider, databaseUrl, sqliteFilePath } from "./config";
import { clampIntFilters, hasOutOfRangeInt } from "./pg-values";
import { capturePgPool } from "./pg-direct";
import { captureSqliteConnection } from "./sqlite-direct";

export type Db = SqliteClient;

function createClient(url: string): Db {
  const adapter = createAdapterFactory(url);
  if (databaseProvider(url) === "sqlite") {
    const client = new SqliteClient({ adapter: captureSqliteConnection(adapter, sqliteFilePath(url)) });
    // Set up once: WAL lets readers run beside the writer thread; NORMAL sync is durable
    // across process crashes (only an OS crash can lose the last transactions).
    client.$executeRawUnsafe("PRAGMA journal_mode = WAL").catch(() => {});
    client.$executeRawUnsafe("PRAGMA synchronous = NORMAL").catch(() => {});
    client.$executeRawUnsafe("PRAGMA foreign_keys = ON").catch(() => {});
    return client;
  }
  return withIntFilterRanges(new PostgresClient({ adapter: capturePgPool(adapter) })) as unknown as Db;
}

// Operations whose `where` must name one row by a unique key (no room for a rewritten filter).
const UNIQUE_WHERE = new Set(["findUnique", "findUniqueOrThrow", "update", "delete", "upsert"]);

/**
 * PostgreSQL refuses an out-of-int4 number in a filter where SQLite matches nothing (see
 * pg-values.ts): such filters are rewritten to select the same rows; findUnique on such a
 * key finds nothing. The check is a walk over the (small) `where`; the rest pass untouched.
 */
function withIntFilterRanges(client: PostgresClient) {
  return client.$extends({
    query: {
      $allModels: {
        async $allOperations({ operation, args, query }) {
          const where = (args as { where?: unknown } | undefined)?.where;
          if (where === undefined || !hasOutOfRangeInt(where)) return query(args);
          if (UNIQUE_WHERE.has(operation)) return operation === "findUnique" ? null : query(args);
          return query({ ...(args as object), where: clampIntFilters(where) } as typeof args);
        },
      },
    },
  });
}

const globalForDb = globalThis as unknown as { flowdeckDb?: Db };

/** Process-wide client (kept on globalThis so dev reloads do not open a new one each time). */
export const db: Db = globalForDb.flowdeckDb ?? (globalForDb.flowdeckDb = createClient(databaseUrl()));
