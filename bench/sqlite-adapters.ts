/**
 * better-sqlite3 vs libsql, both through Prisma, on the queries the hot path makes: a
 * point read, and a batch transaction like the event writer's. Prints ms per operation.
 * Run: npx tsx bench/sqlite-adapters.ts
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaLibSql } from "@prisma/adapter-libsql";
import { PrismaClient } from "../lib/generated/sqlite/client";
import { applyMigrations } from "../lib/db/migrate";

const N = 500;

async function measure(name: string, makeAdapter: (file: string) => PrismaBetterSqlite3 | PrismaLibSql) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "fd-adapter-")), "a.db");
  await applyMigrations(`file:${file}`);
  const db = new PrismaClient({ adapter: makeAdapter(file) });
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
  const ws = await db.workspace.create({ data: { slug: "b", name: "b", signingSecret: "x" } });
  for (let i = 0; i < 50; i++) await db.workspace.findFirst({ where: { id: ws.id } });
  let t0 = performance.now();
  for (let i = 0; i < N; i++) await db.workspace.findFirst({ where: { id: ws.id } });
  const read = (performance.now() - t0) / N;
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    await db.$transaction([
      db.workspace.update({ where: { id: ws.id }, data: { name: `n${i}` } }),
      db.workspace.updateMany({ where: { id: ws.id }, data: { name: `m${i}` } }),
    ]);
  }
  const tx = (performance.now() - t0) / N;
  console.log(`${name}: point read ${read.toFixed(3)} ms, 2-statement transaction ${tx.toFixed(3)} ms`);
  await db.$disconnect();
}

await measure("better-sqlite3", (file) => new PrismaBetterSqlite3({ url: `file:${file}` }));
await measure("libsql", (file) => new PrismaLibSql({ url: `file:${file}` }));
process.exit(0);
