/**
 * Direct, synchronous statements on the very SQLite connection Prisma uses — for the few
 * hot writes (a run's event batches) where Prisma's per-query cost (~0.2–0.6 ms here) would
 * dominate. Statements are prepared once and cached. A write transaction takes the Prisma
 * adapter's own transaction lock, so it never lands inside one of Prisma's transactions;
 * between BEGIN and COMMIT everything is synchronous, so nothing else can interleave.
 */
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { reusingStatements, type SqliteDatabase } from "./sqlite-statement-cache";

/** The part of a better-sqlite3 Database used here. */
interface SqliteHandle {
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number | bigint };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
}

type CapturedAdapter = SqlDriverAdapter & { client?: unknown };

// On globalThis: Next.js may load this module in several bundles of one process, while the
// Prisma client (and so the connection) exists once.
// The write queue too: with one queue per bundle, the route's inserts and the executor's event
// batches were committed in separate transactions instead of sharing one.
const shared = globalThis as unknown as {
  flowdeckSqliteDirect?: {
    adapter: CapturedAdapter | null;
    /** The connection itself (the adapter gets a view of it that reuses statements). */
    client: SqliteHandle | null;
    statements: Map<string, ReturnType<SqliteHandle["prepare"]>>;
    queue: QueuedWrite[];
    flushScheduled: boolean;
  };
};
const direct: NonNullable<typeof shared.flowdeckSqliteDirect> = (shared.flowdeckSqliteDirect ??= { adapter: null, client: null, statements: new Map(), queue: [], flushScheduled: false });
const statements = direct.statements;
const queue = direct.queue;

/** Wraps the SQLite adapter factory so the connection it opens can be reached here. */
export function captureSqliteConnection(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = (await connect()) as CapturedAdapter;
    direct.client = adapter.client as SqliteHandle;
    adapter.client = reusingStatements(adapter.client as SqliteDatabase);
    direct.adapter = adapter;
    statements.clear();
    return adapter;
  };
  return factory;
}

/** Whether the direct connection is available (SQLite, connected). */
export function hasDirectSqlite(): boolean {
  return direct.client != null;
}

/** Runs statements. `run(sql, ...params)` uses a cached prepared statement. */
export interface DirectStatements {
  /** Runs a statement; returns the number of rows changed. */
  run(sql: string, ...params: unknown[]): number;
  /** Runs a statement and returns its first row (e.g. INSERT … RETURNING), or undefined. */
  get(sql: string, ...params: unknown[]): Record<string, unknown> | undefined;
}

interface QueuedWrite {
  fn: (s: DirectStatements) => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * One atomic write on the shared connection. `fn` must be synchronous. Writes that arrive
 * together are group-committed: one BEGIN…COMMIT for all of them, each inside its own
 * savepoint, so one write's failure rolls back only that write (and rejects only its
 * caller). Under load this turns many small commits into a few larger ones.
 */
export function directWriteTransaction<T>(fn: (s: DirectStatements) => T): Promise<T> {
  if (!direct.client) return Promise.reject(new Error("The direct SQLite connection is not open"));
  return new Promise<T>((resolve, reject) => {
    queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    if (!direct.flushScheduled) {
      direct.flushScheduled = true;
      setImmediate(() => void flushWrites());
    }
  });
}

async function flushWrites(): Promise<void> {
  direct.flushScheduled = false;
  const adapter = direct.adapter!;
  const client = direct.client!;
  let tx: Awaited<ReturnType<SqlDriverAdapter["startTransaction"]>>;
  try {
    tx = await adapter.startTransaction(); // takes the adapter's lock and runs BEGIN
  } catch (error) {
    for (const item of queue.splice(0)) item.reject(error);
    return;
  }
  // Everything queued while the lock was awaited joins this commit.
  const batch = queue.splice(0);
  const statements: DirectStatements = {
    run(sql, ...params) {
      return Number(prepared(client, sql).run(...params).changes);
    },
    get(sql, ...params) {
      return prepared(client, sql).get(...params) as Record<string, unknown> | undefined;
    },
  };
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  try {
    for (const item of batch) {
      prepared(client, "SAVEPOINT flowdeck_write").run();
      try {
        const value = item.fn(statements);
        prepared(client, "RELEASE flowdeck_write").run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        prepared(client, "ROLLBACK TO flowdeck_write").run();
        prepared(client, "RELEASE flowdeck_write").run();
        outcomes.push({ ok: false, error });
      }
    }
    prepared(client, "COMMIT").run();
  } catch (error) {
    try {
      prepared(client, "ROLLBACK").run();
    } catch {
      // already rolled back by SQLite itself
    }
    for (let i = 0; i < batch.length; i++) outcomes[i] = { ok: false, error };
  } finally {
    // The adapter's commit() only releases its lock; COMMIT/ROLLBACK were sent above.
    await tx.commit();
  }
  batch.forEach((item, i) => {
    const outcome = outcomes[i];
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  });
}

/**
 * A read on the shared connection (synchronous, prepared once). Integers come back as
 * numbers; DATETIME columns as the stored text (see sqliteDate).
 */
export function directAll(sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const client = direct.client;
  if (!client) throw new Error("The direct SQLite connection is not open");
  const rows = prepared(client, sql).all(...params) as Record<string, unknown>[];
  // Prisma's adapter turns on safe integers (BigInt); our ids and counts fit a number.
  for (const row of rows) for (const k in row) if (typeof row[k] === "bigint") row[k] = Number(row[k]);
  return rows;
}

/** A stored DATETIME text as a Date (null stays null). */
export function sqliteDate(value: unknown): Date | null {
  if (value == null) return null;
  if (typeof value === "number") return new Date(value);
  const text = String(value);
  // Rows written by SQLite's CURRENT_TIMESTAMP have no zone: they are UTC.
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}

function prepared(client: SqliteHandle, sql: string) {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = client.prepare(sql);
    statements.set(sql, stmt);
  }
  return stmt;
}

/** A Date as Prisma stores DateTime in SQLite (ISO 8601 with an explicit +00:00). */
export function sqliteDateTime(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}
