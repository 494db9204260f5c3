/** Prisma driver adapters for both providers; the migration runner uses the same ones. */
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlQuery, SqlQueryable } from "@prisma/driver-adapter-utils";
import { databaseProvider, sqliteFilePath } from "./config";
import { replaceNul } from "./pg-values";

export function createAdapterFactory(url: string) {
  if (databaseProvider(url) === "sqlite") {
    return new PrismaBetterSqlite3({ url: `file:${sqliteFilePath(url)}`, timeout: 5000 });
  }
  const factory = new PrismaPg({ connectionString: url, max: Number(process.env.FLOWDECK_PG_POOL ?? 10) });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => withoutNulArgs(await connect());
  return factory;
}

/**
 * PostgreSQL text cannot hold U+0000 (SQLite's can): every string argument of every query,
 * on the connection and in its transactions, has it replaced (see pg-values.ts).
 */
function withoutNulArgs<T extends SqlDriverAdapter>(adapter: T): T {
  fixQueryable(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (level) => fixQueryable(await startTransaction(level));
  return adapter;
}

function fixQueryable<Q extends SqlQueryable>(q: Q): Q {
  const fix = (query: SqlQuery): SqlQuery => {
    const args = replaceNul(query.args);
    return args === query.args ? query : { ...query, args };
  };
  const queryRaw = q.queryRaw.bind(q);
  const executeRaw = q.executeRaw.bind(q);
  q.queryRaw = (query) => queryRaw(fix(query));
  q.executeRaw = (query) => executeRaw(fix(query));
  return q;
}
