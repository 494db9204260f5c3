/** Which database Flowdeck talks to, from the one setting DATABASE_URL. */
import path from "node:path";
import { mkdirSync } from "node:fs";

export type DatabaseProvider = "sqlite" | "postgresql";

export const DEFAULT_DATABASE_URL = "file:./data/flowdeck.db";

export function databaseUrl(): string {
  return process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

/** `file:` → SQLite (embedded default); `postgres://` / `postgresql://` → PostgreSQL. */
export function databaseProvider(url: string = databaseUrl()): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  throw new Error(`DATABASE_URL must start with file: or postgres://, got "${url.slice(0, 20)}…"`);
}

/** Absolute path of a SQLite database file, creating its folder. */
export function sqliteFilePath(url: string): string {
  const file = path.resolve(/*turbopackIgnore: true*/ process.cwd(), url.replace(/^file:/, ""));
  mkdirSync(path.dirname(file), { recursive: true });
  return file;
}
