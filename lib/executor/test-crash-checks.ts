/**
 * The assertions both crash tests make once every run has ended (test-only). Import it
 * after DATABASE_URL points at the test's database (it loads the Prisma client).
 */
import { expect } from "vitest";
import { db } from "../db/client";
import type { SideEffectReceiver } from "./test-fixtures";

export interface CrashOutcome {
  /** Run uuids whose start was answered (accepted runs). */
  accepted: string[];
  receiver: SideEffectReceiver;
  /** Runs that were `running` under the killed process when it died. */
  interrupted: number[];
  killedAt: number;
  atKillRunning?: number[];
  /** The workflow's steps, and those of them that call the receiver (default: sideEffectWorkflow's a → wait → b). */
  steps?: { all: string[]; calls: string[] };
}

export async function checkCrashOutcome({ accepted, receiver, interrupted, steps: stepIds = { all: ["a", "wait", "b"], calls: ["a", "b"] } }: CrashOutcome): Promise<{ resumed: number; repeatedInFlight: number }> {
  const runs = await db.run.findMany({ select: { id: true, uuid: true, status: true, errorCode: true, lastSeq: true } });
  const byUuid = new Map(runs.map((r) => [r.uuid, r]));

  // Every accepted run is stored and succeeded; nothing is left queued or running.
  expect(accepted.filter((uuid) => !byUuid.has(uuid))).toEqual([]);
  expect(runs.filter((r) => r.status !== "succeeded").map((r) => `${r.id}:${r.status}:${r.errorCode}`)).toEqual([]);

  // Finished exactly once: one run_finished each, and a gap-free log (seq 1..lastSeq).
  const events = await db.runEvent.findMany({ select: { runId: true, seq: true, type: true, data: true } });
  const perRun = new Map<number, { seqs: number[]; finished: number; takeovers: number[] }>();
  for (const e of events) {
    const entry = perRun.get(e.runId) ?? perRun.set(e.runId, { seqs: [], finished: 0, takeovers: [] }).get(e.runId)!;
    entry.seqs.push(e.seq);
    if (e.type === "run_finished") entry.finished++;
    if (e.type === "run_started") entry.takeovers.push(Number(JSON.parse(e.data).takeover ?? 0));
  }
  for (const r of runs) {
    const entry = perRun.get(r.id);
    expect(entry?.finished, `run ${r.id} run_finished events`).toBe(1);
    const seqs = [...entry!.seqs].sort((a, b) => a - b);
    expect(seqs, `run ${r.id} event seqs`).toEqual(Array.from({ length: r.lastSeq }, (_, i) => i + 1));
  }

  // Side effects: every step of every run reached the receiver; none after the step was
  // stored as finished; a repeat only for a step in flight in a run that was taken over
  // (interrupted by the kill, or whose executor stalled past its lease).
  const steps = await db.stepRun.findMany({ select: { runId: true, stepId: true, status: true, finishedAt: true } });
  const stepOf = new Map(steps.map((s) => [`${s.runId}/${s.stepId}`, s]));
  const takeoversOf = (id: number) => Math.max(0, ...(perRun.get(id)?.takeovers ?? []));
  const takenOver = new Set(runs.filter((r) => takeoversOf(r.id) > 0).map((r) => r.id));
  let repeatedInFlight = 0;
  for (const r of runs) {
    for (const stepId of stepIds.all) {
      expect(stepOf.get(`${r.id}/${stepId}`)?.status, `run ${r.id} step ${stepId}`).toBe("succeeded");
    }
    for (const stepId of stepIds.calls) {
      const hits = receiver.hits.get(`${r.uuid}/${stepId}`) ?? [];
      const finishedAt = stepOf.get(`${r.id}/${stepId}`)!.finishedAt!.getTime();
      expect(hits.length, `side effects of run ${r.id} step ${stepId}`).toBeGreaterThanOrEqual(1);
      expect(hits.filter((t) => t > finishedAt), `calls of run ${r.id} step ${stepId} after it was stored`).toEqual([]);
      if (hits.length > 1) {
        expect(takenOver.has(r.id), `run ${r.id} step ${stepId} repeated though its run was never taken over`).toBe(true);
        // At most one extra call per takeover (each execution may have had it in flight).
        expect(hits.length).toBeLessThanOrEqual(1 + takeoversOf(r.id));
        repeatedInFlight++;
      }
    }
  }
  // The interrupted runs were resumed (a second execution marked as a takeover).
  expect(interrupted.filter((id) => !takenOver.has(id))).toEqual([]);
  const resumed = takenOver.size;
  return { resumed, repeatedInFlight };
}
