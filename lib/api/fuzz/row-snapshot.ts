/**
 * What the database holds, in one cheap query: row counts (and highest ids) of every table a
 * request can write, plus what is still moving (runs queued or running, callbacks pending or
 * owed). Comparing the snapshot before and after a refused request proves it stored nothing.
 *
 * A snapshot covers a scope: some workspaces (a fuzz lane's two), whose rows only that lane's
 * requests can write, plus the tables no request may write at all (users, workspaces…).
 *
 * Runs accepted earlier keep writing after their answer (steps, events, callbacks, output
 * files). Those tables are "async": compared only when nothing was moving before the request
 * (then nothing but the request can have written them). Everything else is written only while
 * a request is being answered, and is always compared.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { db } from "../../db/client";

export interface SnapshotScope {
  workspaceIds: number[];
  /** The server's local file store (FLOWDECK_DATA_DIR/files). */
  filesRoot: string;
}

/** Tables no API request writes, whoever makes it. */
const GLOBAL_COUNTS: Record<string, string> = {
  users: `SELECT count(*) FROM "User"`,
  accounts: `SELECT count(*) FROM "Account"`,
  sessions: `SELECT count(*) FROM "Session"`,
  verificationTokens: `SELECT count(*) FROM "VerificationToken"`,
  workspaces: `SELECT count(*) FROM "Workspace"`,
};

/** Written only while a request is answered; `$W` is the scope's workspace filter. */
const SYNC_COUNTS: Record<string, string> = {
  memberships: `SELECT count(*) FROM "Membership" WHERE $W`,
  invitations: `SELECT count(*) FROM "Invitation" WHERE $W`,
  apiKeys: `SELECT count(*) FROM "ApiKey" WHERE $W`,
  apiKeysMaxId: `SELECT coalesce(max("id"), 0) FROM "ApiKey" WHERE $W`,
  revokedApiKeys: `SELECT count(*) FROM "ApiKey" WHERE $W AND "revokedAt" IS NOT NULL`,
  secrets: `SELECT count(*) FROM "Secret" WHERE $W`,
  workflows: `SELECT count(*) FROM "Workflow" WHERE $W`,
  workflowsMaxId: `SELECT coalesce(max("id"), 0) FROM "Workflow" WHERE $W`,
  versions: `SELECT count(*) FROM "WorkflowVersion" WHERE $W`,
  versionsMaxId: `SELECT coalesce(max("id"), 0) FROM "WorkflowVersion" WHERE $W`,
  labels: `SELECT count(*) FROM "Label" WHERE $W`,
  labelTargets: `SELECT coalesce(sum("versionId"), 0) FROM "Label" WHERE $W`,
  labelMoves: `SELECT count(*) FROM "LabelMove" WHERE $W`,
  runs: `SELECT count(*) FROM "Run" WHERE $W`,
  runsMaxId: `SELECT coalesce(max("id"), 0) FROM "Run" WHERE $W`,
  runPayloads: `SELECT count(*) FROM "RunPayload" WHERE "runId" IN (SELECT "id" FROM "Run" WHERE $W)`,
  files: `SELECT count(*) FROM "File" WHERE $W AND "source" <> 'output'`,
  shareLinks: `SELECT count(*) FROM "ShareLink" WHERE $W`,
};

/**
 * Written by runs while they execute (and by callbacks after them). Child rows are counted
 * through their run (indexed by run), and events as the sum of the runs' last sequence
 * numbers (gap-free logs are checked separately), so a snapshot stays cheap as they pile up.
 */
const ASYNC_COUNTS: Record<string, string> = {
  stepRuns: `SELECT count(*) FROM "StepRun" WHERE "runId" IN (SELECT "id" FROM "Run" WHERE $W)`,
  events: `SELECT coalesce(sum("lastSeq"), 0) FROM "Run" WHERE $W`,
  callbacks: `SELECT count(*) FROM "CallbackDelivery" WHERE "runId" IN (SELECT "id" FROM "Run" WHERE $W)`,
  outputFiles: `SELECT count(*) FROM "File" WHERE $W AND "source" = 'output'`,
  cancelledRuns: `SELECT count(*) FROM "Run" WHERE $W AND "status" = 'cancelled'`,
  finishedRuns: `SELECT count(*) FROM "Run" WHERE $W AND "status" IN ('succeeded', 'failed', 'cancelled')`,
};

const MOVING: Record<string, string> = {
  activeRuns: `SELECT count(*) FROM "Run" WHERE $W AND "status" IN ('queued', 'running')`,
  pendingCallbacks: `SELECT count(*) FROM "CallbackDelivery" WHERE "runId" IN (SELECT "id" FROM "Run" WHERE $W) AND "state" = 'pending'`,
  // A run's first callback attempt is stored just after the run ends: until then it is owed.
  owedCallbacks: `SELECT count(*) FROM "Run" r WHERE r.$W AND r."callbackUrl" IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM "CallbackDelivery" d WHERE d."runId" = r."id")`,
};

const queries = new Map<string, string>();

function queryFor(scope: SnapshotScope): string {
  const key = scope.workspaceIds.join(",");
  let sql = queries.get(key);
  if (!sql) {
    const ids = scope.workspaceIds.map((id) => {
      if (!Number.isSafeInteger(id)) throw new Error(`bad workspace id ${id}`);
      return id;
    });
    const where = `"workspaceId" IN (${ids.join(", ")})`;
    const all = { ...GLOBAL_COUNTS, ...SYNC_COUNTS, ...ASYNC_COUNTS, ...MOVING };
    sql = `SELECT ${Object.entries(all).map(([name, q]) => `(${q.replaceAll("$W", where)}) AS "${name}"`).join(", ")}`;
    queries.set(key, sql);
  }
  return sql;
}

export interface RowSnapshot {
  counts: Record<string, number>;
  /** No run queued or running, and no callback pending or owed. */
  quiet: boolean;
  /** Stored files on disk in the scope's workspace folders. */
  diskFiles: number;
}

/** Files in the scope's workspace folders of the local store. */
async function countDisk(scope: SnapshotScope): Promise<number> {
  let n = 0;
  for (const id of scope.workspaceIds) n += (await readdir(path.join(scope.filesRoot, String(id))).catch(() => [] as string[])).length;
  return n;
}

/** Uploads staged (tmp/) and not yet saved or removed. */
export async function countStagedFiles(filesRoot: string): Promise<number> {
  return (await readdir(path.join(filesRoot, "tmp")).catch(() => [] as string[])).length;
}

/**
 * On PostgreSQL the snapshot goes through a small pool of its own as a named (prepared)
 * statement: planning its thirty-odd subqueries each time took most of its cost (~4 ms
 * prepared against ~15 ms through Prisma on a loaded machine). SQLite runs it in under 1 ms.
 */
let pool: pg.Pool | null = null;

async function runQuery(sql: string): Promise<Record<string, bigint | number | string | null>> {
  const url = process.env.DATABASE_URL ?? "";
  if (!/^postgres(ql)?:/.test(url)) return (await db.$queryRawUnsafe<Record<string, bigint | number>[]>(sql))[0];
  pool ??= new pg.Pool({ connectionString: url, max: 4 });
  const name = `fuzz_snapshot_${[...queries.values()].indexOf(sql)}`;
  return (await pool.query({ name, text: sql })).rows[0];
}

/** Closes the snapshot pool (PostgreSQL), if one was opened. */
export async function closeSnapshots(): Promise<void> {
  await pool?.end();
  pool = null;
}

export async function takeSnapshot(scope: SnapshotScope): Promise<RowSnapshot> {
  const [row, diskFiles] = await Promise.all([runQuery(queryFor(scope)), countDisk(scope)]);
  const counts = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v ?? 0)]));
  return { counts, quiet: counts.activeRuns === 0 && counts.pendingCallbacks === 0 && counts.owedCallbacks === 0, diskFiles };
}

/**
 * What differs between two snapshots that a refused request cannot explain: every global and
 * sync count, and, when nothing was moving before, the async counts and the files on disk too.
 */
export function storedDifferences(before: RowSnapshot, after: RowSnapshot): string[] {
  const out: string[] = [];
  for (const key of [...Object.keys(GLOBAL_COUNTS), ...Object.keys(SYNC_COUNTS)]) {
    if (before.counts[key] !== after.counts[key]) out.push(`${key} ${before.counts[key]} → ${after.counts[key]}`);
  }
  if (before.quiet) {
    for (const key of Object.keys(ASYNC_COUNTS)) {
      if (before.counts[key] !== after.counts[key]) out.push(`${key} ${before.counts[key]} → ${after.counts[key]}`);
    }
    if (before.diskFiles !== after.diskFiles) out.push(`files on disk ${before.diskFiles} → ${after.diskFiles}`);
    // Runs cannot start from nothing: a refused request that set one going shows here.
    if (after.counts.activeRuns > 0) out.push(`${after.counts.activeRuns} run(s) active after a refused request`);
  }
  return out;
}

/** Waits (at most `timeoutMs`) until nothing in the scope moves; returns the last snapshot. */
export async function settle(scope: SnapshotScope, timeoutMs: number): Promise<RowSnapshot> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const snap = await takeSnapshot(scope);
    if (snap.quiet || Date.now() > until) return snap;
    await new Promise((r) => setTimeout(r, 15));
  }
}
