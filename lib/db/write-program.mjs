/**
 * Runs write programs (sqlite-writer.ts describes them) on a better-sqlite3 connection that
 * is already inside a transaction: each program in its own savepoint, so one program's
 * failure rolls back only that program. Plain ESM JavaScript: the writer thread loads it from
 * disk (outside any bundle), and the server's own connection uses the same code.
 *
 * `prepared(sql)` returns a (cached) better-sqlite3 statement that reads integers as numbers.
 */

/** A `mustChange` statement changed (or returned) no row. */
class NoRowChanged extends Error {
  constructor(tag) {
    super(`No row changed (${tag})`);
    this.noRowChanged = tag;
  }
}

function bindParam(param, rows) {
  if (param === null || typeof param !== "object") return param;
  if (ArrayBuffer.isView(param)) return Buffer.from(param.buffer, param.byteOffset, param.byteLength);
  const row = rows[param.fromStatement];
  if (!row || !(param.column in row)) throw new Error(`Statement ${param.fromStatement} returned no "${param.column}"`);
  return row[param.column];
}

function runProgram(prepared, program) {
  const rows = [];
  for (const s of program.statements) {
    const stmt = prepared(s.sql);
    const params = s.params.map((p) => bindParam(p, rows));
    if (stmt.reader) {
      const row = stmt.get(params);
      rows.push(row);
      if (s.mustChange !== undefined && row === undefined) throw new NoRowChanged(s.mustChange);
    } else {
      const { changes } = stmt.run(params);
      rows.push(undefined);
      if (s.mustChange !== undefined && changes === 0) throw new NoRowChanged(s.mustChange);
    }
  }
  const r = program.result;
  return r ? rows[r.fromStatement]?.[r.column] : undefined;
}

/** An error as plain data (it may cross threads): SQLite's code and the fence's tag are kept. */
export function describeError(error) {
  return {
    name: error?.name ?? "Error",
    message: error?.message ?? String(error),
    code: error?.code,
    noRowChanged: error?.noRowChanged,
  };
}

/**
 * Runs `programs` in the transaction the caller began and commits it. If anything fails
 * outside a program's own savepoint (the commit itself, say), the transaction is rolled back
 * and every program fails with that error.
 */
export function commitPrograms(prepared, programs) {
  try {
    const outcomes = runPrograms(prepared, programs);
    prepared("COMMIT").run();
    return outcomes;
  } catch (error) {
    try {
      prepared("ROLLBACK").run();
    } catch {
      // SQLite may have rolled back by itself
    }
    const described = describeError(error);
    return programs.map(() => ({ ok: false, error: described }));
  }
}

/** Runs `programs` inside the open transaction; one outcome per program, in order. */
export function runPrograms(prepared, programs) {
  const outcomes = [];
  for (const program of programs) {
    prepared("SAVEPOINT flowdeck_write").run();
    try {
      const value = runProgram(prepared, program);
      prepared("RELEASE flowdeck_write").run();
      outcomes.push({ ok: true, value });
    } catch (error) {
      prepared("ROLLBACK TO flowdeck_write").run();
      prepared("RELEASE flowdeck_write").run();
      outcomes.push({ ok: false, error: describeError(error) });
    }
  }
  return outcomes;
}
