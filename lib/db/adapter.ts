/** Prisma driver adapters for both providers; the migration runner uses the same ones. */
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseProvider, sqliteFilePath } from "./config";

export function createAdapterFactory(url: string) {
  if (databaseProvider(url) === "sqlite") {
    return new PrismaBetterSqlite3({ url: `file:${sqliteFilePath(url)}`, timeout: 5000 });
  }
  return new PrismaPg({ connectionString: url, max: Number(process.env.FLOWDECK_PG_POOL ?? 10) });
}
