/**
 * What every fault test asserts once the dust has settled (test-only): no run lost, none
 * stuck `queued`/`running`, each run's event log gap-free (seq 1..lastSeq) with exactly one
 * run_finished as its last event, and step rows that agree with the log. Side effects of
 * the receiver workflow are judged by lib/executor/test-crash-checks.ts.
 *
 * Import it after DATABASE_URL points at the test's database (it loads the Prisma client).
 */
import { expect } from "vitest";
import { db } from "../../db/client";

export interface SettledRun {
  id: number;
  uuid: string;
  status: string;
  errorCode: string | null;
  lastSeq: number;
  events: { seq: number; type: string; data: string }[];
}

/**
 * `accepted`: uuids of every run whose start was answered. `status`: what each must have
 * ended as (default succeeded). Returns the runs with their logs for further checks.
 */
export async function checkRunsSettled(accepted: string[], opts: { status?: string } = {}): Promise<SettledRun[]> {
  const want = opts.status ?? "succeeded";
  const rows = await db.run.findMany({
    where: { uuid: { in: accepted } },
    select: { id: true, uuid: true, status: true, errorCode: true, lastSeq: true },
  });
  const found = new Set(rows.map((r) => r.uuid));
  expect(accepted.filter((u) => !found.has(u)), "accepted runs missing from the database").toEqual([]);
  // Nothing anywhere in the test's database is left waiting for an executor.
  const unfinished = await db.run.findMany({ where: { status: { in: ["queued", "running"] } }, select: { id: true, status: true } });
  expect(unfinished.map((r) => `${r.id}:${r.status}`), "runs left queued or running").toEqual([]);
  expect(rows.filter((r) => r.status !== want).map((r) => `${r.id}:${r.status}:${r.errorCode}`), `runs that did not end ${want}`).toEqual([]);

  const ids = rows.map((r) => r.id);
  const [events, steps] = await Promise.all([
    db.runEvent.findMany({ where: { runId: { in: ids } }, select: { runId: true, seq: true, type: true, data: true }, orderBy: [{ runId: "asc" }, { seq: "asc" }] }),
    db.stepRun.findMany({ where: { runId: { in: ids } }, select: { runId: true, stepId: true, status: true } }),
  ]);
  const byRun = new Map<number, SettledRun["events"]>();
  for (const e of events) (byRun.get(e.runId) ?? byRun.set(e.runId, []).get(e.runId)!).push(e);
  const stepsByRun = new Map<number, Map<string, string>>();
  for (const s of steps) (stepsByRun.get(s.runId) ?? stepsByRun.set(s.runId, new Map()).get(s.runId)!).set(s.stepId, s.status);

  const settled: SettledRun[] = [];
  for (const r of rows) {
    const log = byRun.get(r.id) ?? [];
    expect(log.map((e) => e.seq), `run ${r.id}: event seqs are 1..lastSeq`).toEqual(Array.from({ length: r.lastSeq }, (_, i) => i + 1));
    expect(log.filter((e) => e.type === "run_finished").length, `run ${r.id}: run_finished events`).toBe(1);
    expect(log.at(-1)?.type, `run ${r.id}: last event`).toBe("run_finished");
    // The last step_finished of each step is the one stored on its row.
    const lastFinish = new Map<string, string>();
    for (const e of log) {
      if (e.type !== "step_finished") continue;
      const d = JSON.parse(e.data) as { step_id: string; status: string };
      lastFinish.set(d.step_id, d.status);
    }
    expect(Object.fromEntries(stepsByRun.get(r.id) ?? []), `run ${r.id}: step rows agree with the log`).toEqual(Object.fromEntries(lastFinish));
    settled.push({ ...r, events: log });
  }
  return settled;
}

/** Resolves once no run is queued or running (or throws after `timeoutMs`). */
export async function waitForAllRunsToEnd(timeoutMs: number, what = "every run to end"): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const open = await db.run.count({ where: { status: { in: ["queued", "running"] } } }).catch(() => -1);
    if (open === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      const left = await db.run.findMany({ where: { status: { in: ["queued", "running"] } }, select: { id: true, status: true, leaseOwner: true, leaseExpiresAt: true }, take: 10 });
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; still open: ${JSON.stringify(left)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
