/**
 * Direct statements on the very PostgreSQL pool Prisma uses — for the few hot statements of
 * every run (claiming it, storing its event batches), where Prisma's cost per statement and
 * its BEGIN…COMMIT round trips would dominate: each of those writes is one statement here
 * (data-modifying CTEs, so one implicit transaction and one round trip), prepared once per
 * connection. The PostgreSQL counterpart of lib/db/sqlite-direct.ts.
 */
import { createHash } from "node:crypto";
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { replaceNul } from "./pg-values";

// On globalThis: Next.js may load this module in several bundles of one process.
const shared = globalThis as unknown as { flowdeckPgDirect?: { pool: pg.Pool | null } };
const direct = (shared.flowdeckPgDirect ??= { pool: null });

/** Wraps the PostgreSQL adapter factory so the pool it uses can be reached here. */
export function capturePgPool(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = (await connect()) as SqlDriverAdapter & { underlyingDriver?: () => unknown };
    const pool = adapter.underlyingDriver?.() as pg.Pool | undefined;
    if (pool && typeof pool.query === "function") direct.pool = pool;
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      if (direct.pool === pool) direct.pool = null;
      return dispose();
    };
    return adapter;
  };
  return factory;
}

/** Whether the direct pool is available (PostgreSQL, connected by Prisma's first query). */
export function hasDirectPg(): boolean {
  return direct.pool != null;
}

// `timestamp` (without zone) columns hold UTC, as Prisma writes them: read them as UTC.
const TIMESTAMP_OID = 1114;
const parseUtcTimestamp = (text: string) => new Date(`${text.replace(" ", "T")}Z`);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID ? parseUtcTimestamp : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

const names = new Map<string, string>();
/** A stable prepared-statement name per SQL text. */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `fd_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs one statement (prepared once per connection) and returns its rows. String arguments
 * lose U+0000 as everywhere else on PostgreSQL (pg-values.ts); pass dates through `pgTimestamp`.
 */
export async function pgDirectQuery<R extends Record<string, unknown>>(text: string, values: unknown[]): Promise<R[]> {
  const pool = direct.pool;
  if (!pool) throw new Error("The direct PostgreSQL pool is not open");
  const result = await pool.query<R>({ name: statementName(text), text, values: values.map(replaceNul), types });
  return result.rows;
}

/** A Date as PostgreSQL `timestamp` text in UTC, the way Prisma stores DateTime columns. */
export function pgTimestamp(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}
