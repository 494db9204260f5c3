/**
 * The SQLite writer thread on a real database file: writes as data (row references, the
 * no-row fence), group commit with per-write rollback, its errors as SQLite's codes, and
 * living beside a second connection (Prisma's) that reads and writes the same file.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { reusingStatements, type SqliteDatabase } from "./sqlite-statement-cache";
import { NoRowChangedError, SqliteWriter, type RowRef } from "./sqlite-writer";
import { commitPrograms } from "./write-program.mjs";

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function database() {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "flowdeck-writer-")), "t.db");
  const db = new Database(file, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner TEXT);
           CREATE TABLE child (id INTEGER PRIMARY KEY, parentId INTEGER NOT NULL REFERENCES parent(id), body BLOB);`);
  const writer = new SqliteWriter(file);
  open.push(db, writer);
  return { file, db, writer };
}

const insertParent = (name: string) => {
  const id: RowRef = { fromStatement: 0, column: "id" };
  return {
    statements: [
      { sql: "INSERT INTO parent (name) VALUES (?) RETURNING id", params: [name] },
      { sql: "INSERT INTO child (parentId, body) VALUES (?, ?)", params: [id, new Uint8Array([1, 2, 3])] },
    ],
    result: id,
  };
};

describe("the SQLite writer thread", () => {
  it("runs a write's statements in order, feeding a returned id to the next, and answers after the commit", async () => {
    const { db, writer } = database();
    const id = await writer.write<number>(insertParent("a"));
    // Read on another connection as soon as the promise resolves: committed.
    expect(db.prepare("SELECT id, name FROM parent").all()).toEqual([{ id, name: "a" }]);
    const child = db.prepare("SELECT parentId, body FROM child").get() as { parentId: number; body: Buffer };
    expect(child.parentId).toBe(id);
    expect([...child.body]).toEqual([1, 2, 3]);
  });

  it("commits writes that arrive together in one transaction, rolling back only the one that fails", async () => {
    const { db, writer } = database();
    await writer.write(insertParent("taken"));
    const before = { ...writer.stats };
    const results = await Promise.allSettled(["x", "taken", "y", "z"].map((name) => writer.write(insertParent(name))));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    const failure = (results[1] as PromiseRejectedResult).reason as Error & { code?: string };
    expect(failure.code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(failure.message).toMatch(/UNIQUE constraint failed: parent\.name/);
    expect(writer.stats.batches - before.batches).toBe(1); // one transaction for the four writes
    expect(writer.stats.writes - before.writes).toBe(4);
    expect(db.prepare("SELECT name FROM parent ORDER BY id").all()).toEqual([{ name: "taken" }, { name: "x" }, { name: "y" }, { name: "z" }]);
    // The failed write's first statement was rolled back with it: no child without its parent row.
    expect(db.prepare("SELECT count(*) AS n FROM child").get()).toEqual({ n: 4 });
  });

  it("fails a write whose fenced statement changes no row, and keeps none of its statements", async () => {
    const { db, writer } = database();
    const id = await writer.write<number>(insertParent("p"));
    db.prepare("UPDATE parent SET owner = 'me' WHERE id = ?").run(id);
    const fenced = (owner: string, body: number) => writer.write({
      statements: [
        { sql: "UPDATE parent SET name = name WHERE id = ? AND owner = ?", params: [id, owner], mustChange: "lease" },
        { sql: "INSERT INTO child (parentId, body) VALUES (?, ?)", params: [id, new Uint8Array([body])] },
      ],
    });
    await fenced("me", 7);
    const lost = await fenced("someone else", 8).catch((e) => e);
    expect(lost).toBeInstanceOf(NoRowChangedError);
    expect((lost as NoRowChangedError).tag).toBe("lease");
    expect(db.prepare("SELECT hex(body) AS b FROM child ORDER BY id").all()).toEqual([{ b: "010203" }, { b: "07" }]);
  });

  it("keeps foreign keys on for its connection", async () => {
    const { writer } = database();
    const orphan = await writer.write({ statements: [{ sql: "INSERT INTO child (parentId) VALUES (?)", params: [999] }] }).catch((e) => e);
    expect((orphan as { code?: string }).code).toBe("SQLITE_CONSTRAINT_FOREIGNKEY");
  });

  it("waits for a transaction the other connection holds, instead of failing", async () => {
    const { db, writer } = database();
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO parent (name) VALUES ('held')").run();
    const write = writer.write(insertParent("after"));
    await new Promise((r) => setTimeout(r, 300));
    db.exec("COMMIT");
    await write;
    expect(db.prepare("SELECT name FROM parent ORDER BY id").all()).toEqual([{ name: "held" }, { name: "after" }]);
  });

  it("lets the other connection's read-then-write transactions run beside it (they begin IMMEDIATE)", async () => {
    const { db, writer } = database();
    const prisma = reusingStatements(db as unknown as SqliteDatabase) as unknown as Database.Database;
    let stop = false;
    const writes = (async () => {
      let i = 0;
      while (!stop) await writer.write(insertParent(`w${i++}`));
      return i;
    })();
    // The Prisma adapter's transaction shape: prepare("BEGIN").run(), reads, an await, a write.
    for (let i = 0; i < 30; i++) {
      prisma.prepare("BEGIN").run();
      const n = (db.prepare("SELECT count(*) AS n FROM parent").get() as { n: number }).n;
      await new Promise((r) => setTimeout(r, 3)); // the writer thread gets to commit meanwhile, if it may
      db.prepare("INSERT INTO parent (name) VALUES (?)").run(`tx${i} saw ${n}`);
      db.exec("COMMIT");
    }
    stop = true;
    const written = await writes;
    expect(written).toBeGreaterThan(0);
    expect(db.prepare("SELECT count(*) AS n FROM parent").get()).toEqual({ n: written + 30 });
  });

  it("commits what is queued before it closes, and refuses writes after", async () => {
    const { db, writer } = database();
    const pending = Array.from({ length: 20 }, (_, i) => writer.write(insertParent(`q${i}`)));
    await writer.close();
    await Promise.all(pending);
    expect(db.prepare("SELECT count(*) AS n FROM parent").get()).toEqual({ n: 20 });
    await expect(writer.write(insertParent("late"))).rejects.toThrow(/closed/);
  });

  it("commits writes that come one at a time on the local path, and overlapping ones on the thread", async () => {
    const { file, db } = database();
    const local = new Database(file, { timeout: 5000 });
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string) => statements.get(sql) ?? statements.set(sql, local.prepare(sql)).get(sql)!;
    let localBatches = 0;
    const writer = new SqliteWriter(file, {
      local: async (programs) => {
        localBatches++;
        local.exec("BEGIN IMMEDIATE");
        return commitPrograms(prepared, programs);
      },
    });
    open.push(local, writer);
    for (let i = 0; i < 20; i++) await writer.write(insertParent(`alone${i}`));
    expect(localBatches).toBe(20);
    expect(writer.stats.local).toBe(20);
    // 16 writers at once, for a while: the writes overlap, and the thread takes them.
    const before = { ...writer.stats };
    await Promise.all(Array.from({ length: 16 }, async (_, k) => { for (let i = 0; i < 30; i++) await writer.write(insertParent(`c${k}-${i}`)); }));
    const batches = writer.stats.batches - before.batches;
    const viaLocal = writer.stats.local - before.local;
    expect(viaLocal / batches).toBeLessThan(0.25);
    expect(db.prepare("SELECT count(*) AS n FROM parent").get()).toEqual({ n: 20 + 16 * 30 });
    // The failures of a local batch come back as the thread's would.
    const duplicate = await writer.write(insertParent("alone3")).catch((e) => e);
    expect((duplicate as { code?: string }).code).toBe("SQLITE_CONSTRAINT_UNIQUE");
  });
});
