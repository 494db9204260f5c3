/**
 * `npm start`: the one command that brings Flowdeck up on a fresh machine.
 *
 * 1. settles configuration (DATABASE_URL, PORT, and a secret key kept in the data folder);
 * 2. builds the app if no production build exists (`--dev` runs `next dev` instead);
 * 3. applies pending migrations to DATABASE_URL;
 * 4. seeds the demo workspace on first start;
 * 5. starts the Next.js server on PORT (default 3000) and forwards signals to it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);
const dev = process.argv.includes("--dev");

process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";
process.env.DATABASE_URL ||= "file:./data/flowdeck.db";
process.env.FLOWDECK_ROOT ||= root;
const port = process.env.PORT || "3000";

// One random key per install, created on first start, unless the deployment sets its own.
const dataDir = path.resolve(root, process.env.FLOWDECK_DATA_DIR ?? "data");
mkdirSync(dataDir, { recursive: true });
const keyFile = path.join(dataDir, "secret.key");
if (!process.env.FLOWDECK_SECRET_KEY) {
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
  process.env.FLOWDECK_SECRET_KEY = readFileSync(keyFile, "utf8").trim();
}
process.env.AUTH_SECRET ||= process.env.FLOWDECK_SECRET_KEY;

const nextBin = path.join(root, "node_modules/.bin/next");

if (!dev && !existsSync(path.join(root, ".next/BUILD_ID"))) {
  console.log("flowdeck: no production build yet, running `next build` (about a minute)…");
  const build = spawnSync(nextBin, ["build"], { stdio: "inherit", env: process.env });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const { applyMigrations } = await import("../lib/db/migrate");
const { applied } = await applyMigrations(process.env.DATABASE_URL);
if (applied.length) console.log(`flowdeck: applied migrations ${applied.join(", ")}`);

const { seedDemo, DEMO_EMAIL, DEMO_PASSWORD } = await import("../lib/services/demo-seed");
if ((await seedDemo()).seeded) console.log(`flowdeck: demo workspace created — sign in as ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
const { db } = await import("../lib/db/client");
await db.$disconnect();

const server = spawn(nextBin, [dev ? "dev" : "start", "-p", port, "-H", process.env.HOST ?? "0.0.0.0"], {
  stdio: "inherit",
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
