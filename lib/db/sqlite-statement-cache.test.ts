import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "./client";
import { databaseProvider, databaseUrl } from "./config";
import { applyMigrations } from "./migrate";
import { reusingStatements } from "./sqlite-statement-cache";

/** An in-memory database whose prepare calls are counted. */
function countingDatabase() {
  const raw = new Database(":memory:");
  raw.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`);
  let prepares = 0;
  const prepare = raw.prepare.bind(raw);
  raw.prepare = ((sql: string) => {
    prepares++;
    return prepare(sql);
  }) as typeof raw.prepare;
  return { raw, get prepares() { return prepares; } };
}

type Bound = { reader: boolean; run(): { changes: number }; columns(): { name: string }[]; raw(): { all(): unknown[][] } };
type Prepared = { bind(args: unknown[]): Bound; run(...p: unknown[]): unknown };

describe("reusingStatements", () => {
  it("prepares a text once and runs it with each call's own arguments, as the Prisma adapter calls it", () => {
    const c = countingDatabase();
    const view = reusingStatements(c.raw);
    const prep = (sql: string) => view.prepare(sql) as Prepared;
    for (const [id, name] of [[1, "ada"], [2, "grace"], [3, "edsger"]] as const) {
      const insert = prep(`INSERT INTO t (id, name) VALUES (?, ?)`).bind([id, name]);
      expect(insert.reader).toBe(false);
      expect(insert.run().changes).toBe(1);
    }
    const read = (id: number) => {
      const q = prep(`SELECT id, name FROM t WHERE id >= ? ORDER BY id`).bind([id]);
      expect(q.reader).toBe(true);
      return { columns: q.columns().map((col) => col.name), rows: q.raw().all() };
    };
    expect(read(2)).toEqual({ columns: ["id", "name"], rows: [[2, "grace"], [3, "edsger"]] });
    expect(read(1).rows).toHaveLength(3);
    expect(read(4).rows).toEqual([]);
    prep("BEGIN").run();
    prep("ROLLBACK").run();
    expect(c.prepares, "one prepare per distinct text").toBe(4);
  });

  it("keeps only the most recently used texts", () => {
    const c = countingDatabase();
    const view = reusingStatements(c.raw, 3);
    const get = (n: number) => (view.prepare(`SELECT ${n} AS n`) as Prepared).bind([]).raw().all();
    for (const n of [1, 2, 3]) get(n);
    get(1); // 1 is now the most recent; 2 is the oldest
    get(4); // evicts 2
    expect(c.prepares).toBe(4);
    get(1);
    get(3);
    get(4);
    expect(c.prepares, "1, 3 and 4 were kept").toBe(4);
    expect(get(2)).toEqual([[2]]);
    expect(c.prepares, "2 was prepared again").toBe(5);
  });
});

describe.skipIf(databaseProvider(databaseUrl()) !== "sqlite")("Prisma on the reusing connection", () => {
  beforeAll(() => applyMigrations(), 60_000);
  it("answers repeated queries with different arguments correctly, inside and outside transactions", async () => {
    const emails = Array.from({ length: 5 }, (_, i) => `stmt-cache-${i}-${Date.now()}@example.test`);
    for (const email of emails) await db.user.create({ data: { email } });
    for (const email of emails) expect((await db.user.findUnique({ where: { email } }))?.email).toBe(email);
    expect(await db.user.count({ where: { email: { in: emails.slice(0, 2) } } })).toBe(2);
    expect(await db.user.count({ where: { email: { in: emails } } })).toBe(5);
    await expect(db.$transaction(async (tx) => {
      await tx.user.update({ where: { email: emails[0] }, data: { name: "inside" } });
      throw new Error("roll back");
    })).rejects.toThrow("roll back");
    expect((await db.user.findUnique({ where: { email: emails[0] } }))?.name).toBeNull();
    await db.$transaction(async (tx) => tx.user.update({ where: { email: emails[1] }, data: { name: "kept" } }));
    expect((await db.user.findUnique({ where: { email: emails[1] } }))?.name).toBe("kept");
  });
});
