/**
 * Direct statements for the hot path, where Prisma's per-query cost (~0.2–0.6 ms here) would
 * dominate: reads run synchronously on the very SQLite connection Prisma uses (prepared once
 * and cached); writes are data (sqlite-writer.ts), group-committed on the writer thread's own
 * connection — or, while writes come one at a time, right here on Prisma's connection (inside
 * the adapter's transaction lock, so never inside one of Prisma's transactions), which spares
 * a lone request two thread hand-overs.
 */
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { reusingStatements, type SqliteDatabase } from "./sqlite-statement-cache";
import { SqliteWriter, type WriteOutcome, type WriteProgram } from "./sqlite-writer";
import { commitPrograms, type ProgramStatement } from "./write-program.mjs";

/** The part of a better-sqlite3 Database used here. */
interface SqliteHandle {
  prepare(sql: string): DirectStatement;
}

interface DirectStatement extends ProgramStatement {
  all(...params: unknown[]): unknown[];
  safeIntegers(on: boolean): DirectStatement;
}

type CapturedAdapter = SqlDriverAdapter & { client?: unknown };

// On globalThis: Next.js may load this module in several bundles of one process, while the
// Prisma client (and so the connection) exists once. The writer too: with one per bundle, the
// route's inserts and the executor's event batches would be committed separately.
const shared = globalThis as unknown as {
  flowdeckSqliteDirect?: {
    adapter: CapturedAdapter | null;
    /** The connection itself (the adapter gets a view of it that reuses statements). */
    client: SqliteHandle | null;
    statements: Map<string, ReturnType<SqliteHandle["prepare"]>>;
    writer: SqliteWriter | null;
  };
};
const direct: NonNullable<typeof shared.flowdeckSqliteDirect> = (shared.flowdeckSqliteDirect ??= { adapter: null, client: null, statements: new Map(), writer: null });
const statements = direct.statements;

/**
 * Wraps the SQLite adapter factory so the connection it opens can be reached here, and the
 * database `file` gets a writer thread.
 */
export function captureSqliteConnection(factory: SqlDriverAdapterFactory, file: string): SqlDriverAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = (await connect()) as CapturedAdapter;
    direct.client = adapter.client as SqliteHandle;
    adapter.client = reusingStatements(adapter.client as SqliteDatabase);
    direct.adapter = adapter;
    statements.clear();
    direct.writer ??= new SqliteWriter(file, { local: writeLocally });
    return adapter;
  };
  return factory;
}

/** Whether the direct connection is available (SQLite, connected). */
export function hasDirectSqlite(): boolean {
  return direct.client != null;
}

/**
 * One atomic write; resolves to the program's `result`. Writes that arrive together share one
 * commit (on the writer thread, or here when they come one at a time), each in its own
 * savepoint: one write's failure rejects only its caller.
 */
export function directWrite<T = unknown>(program: WriteProgram): Promise<T> {
  if (!direct.writer) return Promise.reject(new Error("The direct SQLite connection is not open"));
  return direct.writer.write<T>(program);
}

/** Commits a batch on Prisma's connection, holding the adapter's transaction lock meanwhile. */
async function writeLocally(programs: WriteProgram[]): Promise<WriteOutcome[]> {
  const adapter = direct.adapter!;
  const client = direct.client!;
  const tx = await adapter.startTransaction(); // takes the adapter's lock and runs BEGIN (IMMEDIATE)
  try {
    return commitPrograms((sql) => prepared(client, sql), programs);
  } finally {
    await tx.commit(); // only releases the adapter's lock: COMMIT / ROLLBACK were sent above
  }
}

/** On shutdown: commits what is queued, then closes the writer thread (later writes are refused). */
export async function closeDirectWriter(): Promise<void> {
  await direct.writer?.close();
}

/**
 * A read on the shared connection (synchronous, prepared once). Integers come back as
 * numbers; DATETIME columns as the stored text (see sqliteDate).
 */
export function directAll(sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const client = direct.client;
  if (!client) throw new Error("The direct SQLite connection is not open");
  return prepared(client, sql).all(...params) as Record<string, unknown>[];
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
    // Prisma's adapter turns on safe integers (BigInt) for the connection; our ids and counts
    // fit a number, and reading them as numbers saves a BigInt per integer cell.
    stmt = client.prepare(sql).safeIntegers(false);
    statements.set(sql, stmt);
  }
  return stmt;
}

/** A Date as Prisma stores DateTime in SQLite (ISO 8601 with an explicit +00:00). */
export function sqliteDateTime(d: Date): string {
  return `${d.toISOString().slice(0, -1)}+00:00`;
}
