/**
 * What the database holds, in one cheap query: row counts (and highest ids) of every table a
 * request can write, plus what is still moving (runs queued or running, callbacks pending).
 * Comparing the snapshot before and after a refused request proves it stored nothing.
 *
 * Runs accepted earlier keep writing after their answer (steps, events, callbacks, output
 * files). Those tables are "async": compared only when nothing was moving before the request
 * (then nothing but the request can have written them). Everything else is written only while
 * a request is being answered, and is always compared.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { db } from "../../db/client";

/** Written only while a request is answered. */
const SYNC_COUNTS: Record<string, string> = {
  users: `SELECT count(*) FROM "User"`,
  accounts: `SELECT count(*) FROM "Account"`,
  sessions: `SELECT count(*) FROM "Session"`,
  verificationTokens: `SELECT count(*) FROM "VerificationToken"`,
  workspaces: `SELECT count(*) FROM "Workspace"`,
  memberships: `SELECT count(*) FROM "Membership"`,
  invitations: `SELECT count(*) FROM "Invitation"`,
  apiKeys: `SELECT count(*) FROM "ApiKey"`,
  apiKeysMaxId: `SELECT coalesce(max("id"), 0) FROM "ApiKey"`,
  revokedApiKeys: `SELECT count(*) FROM "ApiKey" WHERE "revokedAt" IS NOT NULL`,
  secrets: `SELECT count(*) FROM "Secret"`,
  workflows: `SELECT count(*) FROM "Workflow"`,
  workflowsMaxId: `SELECT coalesce(max("id"), 0) FROM "Workflow"`,
  versions: `SELECT count(*) FROM "WorkflowVersion"`,
  versionsMaxId: `SELECT coalesce(max("id"), 0) FROM "WorkflowVersion"`,
  labels: `SELECT count(*) FROM "Label"`,
  labelTargets: `SELECT coalesce(sum("versionId"), 0) FROM "Label"`,
  labelMoves: `SELECT count(*) FROM "LabelMove"`,
  runs: `SELECT count(*) FROM "Run"`,
  runsMaxId: `SELECT coalesce(max("id"), 0) FROM "Run"`,
  runPayloads: `SELECT count(*) FROM "RunPayload"`,
  files: `SELECT count(*) FROM "File" WHERE "source" <> 'output'`,
  shareLinks: `SELECT count(*) FROM "ShareLink"`,
};

/** Written by runs while they execute (and by callbacks after them). */
const ASYNC_COUNTS: Record<string, string> = {
  stepRuns: `SELECT count(*) FROM "StepRun"`,
  events: `SELECT count(*) FROM "RunEvent"`,
  callbacks: `SELECT count(*) FROM "CallbackDelivery"`,
  outputFiles: `SELECT count(*) FROM "File" WHERE "source" = 'output'`,
  cancelledRuns: `SELECT count(*) FROM "Run" WHERE "status" = 'cancelled'`,
  finishedRuns: `SELECT count(*) FROM "Run" WHERE "status" IN ('succeeded', 'failed', 'cancelled')`,
};

const MOVING = {
  activeRuns: `SELECT count(*) FROM "Run" WHERE "status" IN ('queued', 'running')`,
  pendingCallbacks: `SELECT count(*) FROM "CallbackDelivery" WHERE "state" = 'pending'`,
  // A run's first callback attempt is stored just after the run ends: until then it is owed.
  owedCallbacks: `SELECT count(*) FROM "Run" r WHERE r."callbackUrl" IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM "CallbackDelivery" d WHERE d."runId" = r."id")`,
};

const ALL = { ...SYNC_COUNTS, ...ASYNC_COUNTS, ...MOVING };
const QUERY = `SELECT ${Object.entries(ALL).map(([name, sql]) => `(${sql}) AS "${name}"`).join(", ")}`;

export interface RowSnapshot {
  counts: Record<string, number>;
  /** No run queued or running and no callback pending. */
  quiet: boolean;
  /** Stored files on disk (workspace folders), and staged uploads not yet saved or removed. */
  diskFiles: number;
  stagedFiles: number;
}

async function countDisk(root: string): Promise<{ stored: number; staged: number }> {
  let stored = 0;
  let staged = 0;
  let dirs: string[];
  try {
    dirs = await readdir(root);
  } catch {
    return { stored, staged };
  }
  for (const dir of dirs) {
    const entries = await readdir(path.join(root, dir)).catch(() => [] as string[]);
    if (dir === "tmp") staged += entries.length;
    else stored += entries.length;
  }
  return { stored, staged };
}

/** Takes a snapshot. `filesRoot` is the server's local file store (FLOWDECK_DATA_DIR/files). */
export async function takeSnapshot(filesRoot: string): Promise<RowSnapshot> {
  const [rows, disk] = await Promise.all([db.$queryRawUnsafe<Record<string, bigint | number>[]>(QUERY), countDisk(filesRoot)]);
  const counts = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
  return { counts, quiet: counts.activeRuns === 0 && counts.pendingCallbacks === 0 && counts.owedCallbacks === 0, diskFiles: disk.stored, stagedFiles: disk.staged };
}

/**
 * What differs between two snapshots that a refused request cannot explain: every sync count,
 * and, when nothing was moving before, the async counts and the files on disk too.
 */
export function storedDifferences(before: RowSnapshot, after: RowSnapshot): string[] {
  const out: string[] = [];
  for (const key of Object.keys(SYNC_COUNTS)) {
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

/** Waits (at most `timeoutMs`) until no run is active and no callback pending; returns the last snapshot. */
export async function settle(filesRoot: string, timeoutMs: number): Promise<RowSnapshot> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const snap = await takeSnapshot(filesRoot);
    if (snap.quiet || Date.now() > until) return snap;
    await new Promise((r) => setTimeout(r, 15));
  }
}
