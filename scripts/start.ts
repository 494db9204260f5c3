/**
 * `npm start`: the one command that brings Flowdeck up on a fresh machine.
 *
 * 1. settles configuration (DATABASE_URL, PORT, and a secret key kept in the data folder);
 * 2. builds the app if no production build exists, or the sources changed since it was
 *    made (`--dev` runs `next dev` instead);
 * 3. applies pending migrations to DATABASE_URL;
 * 4. seeds the demo workspace on first start;
 * 5. starts the server (scripts/server.ts: Next.js plus the compatibility WebSockets) on
 *    PORT (default 3000) and forwards signals to it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);
const dev = process.argv.includes("--dev");
/** `--build-only`: make sure the production build is current, then exit (used by `npm test`). */
const buildOnly = process.argv.includes("--build-only");
/**
 * FLOWDECK_NO_BUILD=1: serve the existing build even if the sources changed since (benchmarks
 * and tests on a machine where someone else is editing; never rebuilds under a running server).
 */
const noBuild = process.env.FLOWDECK_NO_BUILD === "1";

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

/** A fingerprint of everything the build is made from (paths, sizes, modification times). */
function sourceFingerprint(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "generated" && entry.name !== "node_modules") walk(full);
      } else {
        const st = statSync(full);
        hash.update(`${path.relative(root, full)}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  for (const dir of ["app", "components", "lib", "public"]) if (existsSync(path.join(root, dir))) walk(path.join(root, dir));
  for (const file of ["package-lock.json", "next.config.js", "instrumentation.ts", "postcss.config.mjs", "tsconfig.json"]) {
    if (existsSync(path.join(root, file))) hash.update(`${file}:${statSync(path.join(root, file)).mtimeMs}\n`);
  }
  return hash.digest("hex");
}

if (!dev) {
  const stampFile = path.join(root, ".next/flowdeck-source.sha256");
  const fingerprint = sourceFingerprint();
  const built = existsSync(path.join(root, ".next/BUILD_ID"));
  const stale = built && (!existsSync(stampFile) || readFileSync(stampFile, "utf8") !== fingerprint);
  if (!built || (stale && !noBuild)) {
    console.log(`flowdeck: ${built ? "sources changed since the last build" : "no production build yet"}, running \`next build\` (about a minute)…`);
    const build = spawnSync(nextBin, ["build"], { stdio: "inherit", env: process.env });
    if (build.status !== 0) process.exit(build.status ?? 1);
    writeFileSync(stampFile, fingerprint);
  }
}
if (buildOnly) process.exit(0);

const { applyMigrations } = await import("../lib/db/migrate");
const { applied } = await applyMigrations(process.env.DATABASE_URL);
if (applied.length) console.log(`flowdeck: applied migrations ${applied.join(", ")}`);
// On PostgreSQL, also graphile-worker's schema (the job queue of `npm run worker`).
const { migrateJobQueue } = await import("../lib/executor/job-queue-schema");
await migrateJobQueue(process.env.DATABASE_URL);

const { seedDemo, DEMO_EMAIL, DEMO_PASSWORD } = await import("../lib/services/demo-seed");
if ((await seedDemo()).seeded) console.log(`flowdeck: demo workspace created — sign in as ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
const { db } = await import("../lib/db/client");
await db.$disconnect();

// Next.js inside our own HTTP server (scripts/server.ts), which also takes the WebSocket
// upgrades of the compatibility APIs.
const server = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/server.ts"), ...(dev ? ["--dev"] : [])], {
  stdio: "inherit",
  env: { ...process.env, PORT: port },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
