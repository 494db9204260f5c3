import { mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { startCheckpointer } from "./sqlite-checkpointer";

/** A WAL database whose own connection never checkpoints; `write` adds ~400 KB of rows. */
function walDatabase() {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "flowdeck-ckpt-")), "t.db");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
  const write = () => db.transaction(() => { for (let i = 0; i < 100; i++) insert.run("x".repeat(4000)); })();
  return { file, db, write };
}

const waitFor = async (ok: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return ok();
};

describe("the checkpointer thread", () => {
  it("copies committed pages into the database file while the writer never checkpoints", async () => {
    const control = walDatabase();
    const { file, db, write } = walDatabase();
    for (let i = 0; i < 5; i++) { control.write(); write(); }
    // Without a checkpoint the rows live in the log only: the database file stays small.
    expect(statSync(control.file).size).toBeLessThan(64 * 1024);
    expect(statSync(file).size).toBeLessThan(64 * 1024);

    const checkpointer = startCheckpointer(file, 20);
    expect(await waitFor(() => statSync(file).size > 1_900_000, 5_000), "database file filled from the log").toBe(true);
    write(); // the writer carries on beside it
    await checkpointer.stop();
    expect(statSync(file).size).toBeGreaterThan(2_300_000); // the last batch too: stop() checkpoints once more
    expect(statSync(control.file).size).toBeLessThan(64 * 1024);

    const reader = new Database(file, { readonly: true });
    expect(reader.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 600 });
    reader.close();
    db.close();
    control.db.close();
  });

  it("stops promptly, and twice is harmless", async () => {
    const { file, db } = walDatabase();
    const checkpointer = startCheckpointer(file, 20);
    const t0 = Date.now();
    await Promise.all([checkpointer.stop(), checkpointer.stop()]);
    expect(Date.now() - t0).toBeLessThan(2_000);
    db.close();
  });
});
