/**
 * Prepared statements kept for reuse on Prisma's SQLite connection.
 *
 * Prisma's better-sqlite3 adapter prepares every query anew (`prepare(sql).bind(args)`), and
 * SQLite plans a query while preparing it: with the run history's indexes that planning cost
 * more than running the query on the history pages (about 0.1–0.3 ms per query). This wrapper
 * hands the adapter a statement it has prepared before for the same text. A better-sqlite3
 * statement can be bound only once, so `bind` here does not bind: it keeps the arguments and
 * passes them to each call. The adapter runs each statement to completion synchronously
 * (`run` or `all`, never `iterate`), so one statement object is never in use twice at once.
 *
 * The adapter's transactions begin with a plain BEGIN, which takes the write lock only at the
 * first write; with a second connection writing (the writer thread, sqlite-writer.ts), a
 * transaction that read first would then fail (SQLITE_BUSY, the busy timeout does not apply).
 * Here they begin IMMEDIATE: the lock is taken (waiting up to the busy timeout) at BEGIN.
 */

/** The parts of a better-sqlite3 statement the adapter uses. */
interface Statement {
  readonly reader: boolean;
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  columns(): unknown[];
  raw(on?: boolean): Statement;
}

/** The parts of a better-sqlite3 Database the adapter uses. */
export interface SqliteDatabase {
  prepare(sql: string): unknown;
  exec(sql: string): unknown;
  close(): unknown;
}

/** A statement with its arguments, as the adapter's `prepare(sql).bind(args)` expects. */
class BoundCall {
  constructor(private readonly stmt: Statement, private readonly args: unknown[]) {}
  get reader() {
    return this.stmt.reader;
  }
  run() {
    return this.stmt.run(this.args);
  }
  columns() {
    return this.stmt.columns();
  }
  /** The adapter always reads rows as arrays (`raw().all()`); raw mode stays on for this statement. */
  raw() {
    const stmt = this.stmt.raw(true);
    return { all: () => stmt.all(this.args) };
  }
}

class ReusableStatement {
  constructor(private readonly stmt: Statement) {}
  bind(args: unknown[]) {
    return new BoundCall(this.stmt, args);
  }
  run(...params: unknown[]) {
    return this.stmt.run(...params);
  }
}

/**
 * A view of `db` for the adapter whose `prepare` reuses statements by SQL text, keeping the
 * `max` most recently used (queries with IN lists of many lengths make many texts).
 */
export function reusingStatements(db: SqliteDatabase, max = 300): SqliteDatabase {
  const cache = new Map<string, ReusableStatement>();
  return {
    prepare(text: string) {
      const sql = text === "BEGIN" ? "BEGIN IMMEDIATE" : text;
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // re-inserted below: most recently used last
      } else {
        stmt = new ReusableStatement(db.prepare(sql) as Statement);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    exec: (sql: string) => db.exec(sql),
    close: () => db.close(),
  };
}
