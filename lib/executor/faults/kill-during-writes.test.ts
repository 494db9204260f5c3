/**
 * Fault: kill -9 while the database is in the middle of a write, again and again.
 *
 * The process that executes runs — on SQLite a stand-in web process
 * (lib/executor/test-inline-host.ts: the runs service and the in-process executor), on
 * PostgreSQL a worker (scripts/worker.ts, with this process storing and enqueueing runs as
 * the web process does) — executes streaming runs: an http call, an LLM step streaming text
 * chunks from a local OpenAI-compatible server (each chunk an event, written in batches),
 * another http call, while new runs keep arriving. Several times over, that process is
 * frozen until the database shows it inside a write transaction (lib/executor/faults/mid-write.ts:
 * on SQLite it holds the WAL write lock; on PostgreSQL a session of it has an open
 * transaction with a transaction id), killed with SIGKILL right there, and started again.
 *
 * Asserted after the last restart: every accepted run ended `succeeded` exactly once, none
 * is left queued or running, every log is gap-free (seq 1..lastSeq, one run_finished, the
 * last), step rows agree with the log, every run's output is its whole text, and no step's
 * side effect happened after the step was stored (a repeat only for a call in flight at a
 * kill). Runs on SQLite and, with FLOWDECK_TEST_PG=1, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseProvider, sqliteFilePath } from "../../db/config";
import type { Actor } from "../../schemas/workspace";
import { applyMigrations } from "../../db/migrate";
import { db } from "../../db/client";
import { setSecret } from "../../services/secrets";
import { createWorkflow } from "../../services/workflows";
import { createWorkspace } from "../../services/workspaces";
import { FAKE_OPENAI_API_KEY, FAKE_OPENAI_MODEL, startFakeOpenAI, type FakeOpenAI } from "../../../scripts/fake-openai";
import { hitStep, spawnTsx, startSideEffectReceiver, waitFor, type ChildLines, type SideEffectReceiver } from "../test-fixtures";
import { checkCrashOutcome } from "../test-crash-checks";
import { checkRunsSettled, waitForAllRunsToEnd } from "./checks";
import { killMidWrite, pgWriteProbe, sqliteWriteProbe, type MidWriteKill, type WriteProbe } from "./mid-write";

const KILLS = 3;
const RUNS_PER_ROUND = 12;
/** Tokens each run's LLM step streams. */
const TOKENS = 400;
const APP_NAME = "flowdeck-faults-host";

let receiver: SideEffectReceiver;
let llm: FakeOpenAI;
let userId: string;
let actor: Actor;
let probe: WriteProbe;
const hosts: ChildLines[] = [];

/** Where runs execute: in the web process on SQLite, in workers on PostgreSQL (each deployment's default). */
const mode = databaseProvider(process.env.DATABASE_URL!) === "sqlite" ? "inline" : "worker";

function startHost(): ChildLines {
  const env = {
    FLOWDECK_LEASE_MS: "1500",
    // Runs may be interrupted at every round; they must not be given up on.
    FLOWDECK_MAX_TAKEOVERS: "20",
    FLOWDECK_FETCH_ALLOW: `${new URL(receiver.origin).host},${new URL(llm.url).host}`,
    PGAPPNAME: APP_NAME,
  };
  const host = mode === "inline"
    ? spawnTsx("lib/executor/test-inline-host.ts", [userId, "kill"], { ...env, FLOWDECK_EXECUTOR_CONCURRENCY: "32" }, "host")
    : spawnTsx("scripts/worker.ts", [], {
      ...env, DATABASE_URL: process.env.DATABASE_URL, FLOWDECK_WORKER_CONCURRENCY: "32", FLOWDECK_WORKER_PG_POOL: "4", FLOWDECK_PG_POOL: "6",
    }, "worker");
  hosts.push(host);
  return host;
}

/** Starts `n` runs: through the host's stdin (inline), or here, stored queued with their jobs (worker). */
async function startRuns(host: ChildLines, n: number, accepted: Set<string>): Promise<void> {
  if (mode === "inline") {
    host.child.stdin.write(`start ${n} stream ${receiver.origin}\n`);
    return;
  }
  const { startRun } = await import("../../services/runs");
  for (let i = 0; i < n; i++) accepted.add((await startRun(actor, { workflow: "stream", inputs: { receiver: receiver.origin }, origin: "api" })).uuid);
}

beforeAll(async () => {
  await applyMigrations();
  receiver = await startSideEffectReceiver({ delayMs: 20 });
  // Each token a few ms apart: a run streams for about 1.6 s. The kill has to land while runs
  // are still writing; with half a second (120 tokens) a slow freeze-and-look loop sometimes
  // missed the window (faster commits hold the write lock for less of the time).
  llm = await startFakeOpenAI({ host: "127.0.0.1", tokenDelayMs: 4 });
  const user = await db.user.create({ data: { email: "kill-writes@example.test" } });
  userId = user.id;
  actor = await createWorkspace(user.id, { slug: "kill", name: "Kill" });
  if (mode === "worker") process.env.FLOWDECK_EXECUTOR = "worker"; // this process only stores and enqueues
  await setSecret(actor, "llm", JSON.stringify({ base_url: llm.url, api_key: FAKE_OPENAI_API_KEY, model: FAKE_OPENAI_MODEL }));
  await createWorkflow(actor, {
    name: "stream",
    definition: {
      inputs: [{ name: "receiver", type: "text" }],
      steps: [hitStep("a"), { id: "talk", kind: "llm", needs: ["a"], config: { prompt: `tokens:${TOKENS}` } }, hitStep("b", ["talk"])],
      outputs: { text: "{{ steps.talk.output.text }}", b: "{{ steps.b.output.body.key }}" },
    },
  });
  const url = process.env.DATABASE_URL!;
  probe = databaseProvider(url) === "sqlite"
    ? sqliteWriteProbe(sqliteFilePath(url))
    : pgWriteProbe((sql, ...values) => db.$queryRawUnsafe(sql, ...values), APP_NAME);
}, 60_000);

afterAll(async () => {
  for (const h of hosts) {
    if (h.child.exitCode === null && h.child.signalCode === null) {
      h.child.kill("SIGCONT");
      h.child.kill("SIGKILL");
    }
  }
  await receiver?.close();
  await llm?.close();
});

describe(`kill -9 inside database writes (${databaseProvider(process.env.DATABASE_URL!)}, runs executed ${mode === "inline" ? "in the web process" : "by a worker"})`, () => {
  it(`${KILLS} kills while streaming runs are being written, each followed by a restart: no run lost, none stuck, logs gap-free`, async () => {
    const accepted = new Set<string>();
    const interrupted = new Set<number>();
    const kills: MidWriteKill[] = [];
    const t0 = Date.now();

    const note = (msg: string) => process.stderr.write(`[kill-during-writes +${Date.now() - t0} ms] ${msg}\n`);
    for (let round = 1; round <= KILLS; round++) {
      const host = startHost();
      await host.waitForLine(/"ready":true|: ready/, 60_000);
      note(`round ${round}: ${mode === "inline" ? "web process" : "worker"} ready`);
      await startRuns(host, RUNS_PER_ROUND, accepted);
      // Text is streaming (and being written) in this process's runs.
      const since = await db.runEvent.count({ where: { type: "text_chunk" } });
      await waitFor(async () => (await db.runEvent.count({ where: { type: "text_chunk" } })) > since + 20, 30_000, "text chunks to stream");
      // Should the kill not land while these runs stream, more runs keep the writes going.
      let kill: MidWriteKill | null = null;
      for (let tries = 1; !kill; tries++) {
        kill = await killMidWrite(host.child, probe, 1_500).catch(async (error: Error) => {
          if (tries >= 10 || !error.message.includes("never caught")) throw error;
          note(`round ${round}: not caught writing yet; ${RUNS_PER_ROUND / 3} more runs`);
          await startRuns(host, RUNS_PER_ROUND / 3, accepted);
          return null;
        });
      }
      kills.push(kill);
      note(`round ${round}: killed after ${kill.attempts} freeze(s): ${kill.evidence}`);
      await host.exited;
      for (const line of host.lines) if (line.includes('"accepted"')) accepted.add(JSON.parse(line).accepted);
      for (const r of await db.run.findMany({ where: { status: "running" }, select: { id: true } })) interrupted.add(r.id);
    }
    expect(interrupted.size, "runs the kills interrupted").toBeGreaterThan(0);

    // The last restart finishes everything that is left.
    const last = startHost();
    await last.waitForLine(/"ready":true|: ready/, 60_000);
    note("last host ready");
    const finishedIn = await waitForAllRunsToEnd(60_000);

    const settled = await checkRunsSettled([...accepted]);
    const outcome = await checkCrashOutcome({
      accepted: [...accepted], receiver, interrupted: [...interrupted], killedAt: 0,
      steps: { all: ["a", "talk", "b"], calls: ["a", "b"] },
    });
    // Every run's text arrived whole in the end (its last execution's text is its output).
    const outputs = await db.runPayload.findMany({ where: { runId: { in: settled.map((r) => r.id) } }, select: { outputs: true } });
    for (const o of outputs) expect(JSON.parse(o.outputs ?? "{}").text?.trim().split(/\s+/)).toHaveLength(TOKENS);

    last.child.kill("SIGTERM");
    expect((await last.exited).code).toBe(0);
    const events = settled.reduce((n, r) => n + r.lastSeq, 0);
    console.log(
      `kill during writes (${databaseProvider(process.env.DATABASE_URL!)}, ${mode}): ${accepted.size} runs, ${events} events; ${KILLS} kills, each inside a write ` +
      `(after ${kills.map((k) => k.attempts).join("/")} freeze(s): ${[...new Set(kills.map((k) => k.evidence.replace(/\d+/g, "N")))].join("; ")}); ` +
      `${interrupted.size} runs interrupted, ${outcome.resumed} resumed, ${outcome.repeatedInFlight} in-flight call(s) repeated, none after a step was stored; ` +
      `all ended ${finishedIn} ms after the last restart, ${Date.now() - t0} ms in all`,
    );
  }, 180_000); // about 30 s on an idle 2-core machine; the bound is for a loaded one
});
