/**
 * The event bus across processes on a real PostgreSQL: this test process follows runs whose
 * events another Node process writes (lib/events/test-bus-child.ts through the real
 * RunEventWriter), cancels reach a subscriber in another process, and a killed LISTEN
 * connection (pg_terminate_backend) comes back without the follower losing anything.
 * Skipped when PostgreSQL is unreachable locally; required in CI.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, pgUnavailable, testSuiteProvider, type TestPgDatabase } from "../db/test-database";
import type { RunEventFrame } from "../schemas/run";

const pgMissing = await pgUnavailable();
const root = path.resolve(import.meta.dirname, "../..");

type Modules = {
  bus: typeof import("./run-event-bus");
  follow: typeof import("./follow-run-events");
  db: typeof import("../db/client").db;
  runStore: typeof import("../services/run-store");
  runs: typeof import("../services/runs");
  actor: import("../schemas/workspace").Actor;
  workflow: { workflowId: number; versionId: number; versionNumber: number };
};

describe.skipIf(!!pgMissing)(`event bus across processes on PostgreSQL${pgMissing ? ` (skipped: ${pgMissing})` : ""}`, () => {
  let database: TestPgDatabase | null = null;
  let m: Modules;
  let admin: Client;
  const children = new Set<ChildProcessWithoutNullStreams>();

  beforeAll(async () => {
    // On a PostgreSQL suite run vitest.setup gave this file a database already.
    if (testSuiteProvider() !== "postgresql") {
      database = await createTestPgDatabase();
      process.env.DATABASE_URL = database.url;
    }
    const { db } = await import("../db/client");
    const { seedDemo } = await import("../services/demo-seed");
    const { getActorForUser } = await import("../services/users");
    await seedDemo();
    const user = await db.user.findFirstOrThrow({ where: { email: "demo@flowdeck.local" } });
    const actor = await getActorForUser(user.id, "demo");
    const wf = await db.workflow.findFirstOrThrow({ where: { workspaceId: actor.workspaceId, name: "greet" } });
    const version = await db.workflowVersion.findFirstOrThrow({ where: { workflowId: wf.id }, orderBy: { number: "desc" } });
    m = {
      bus: await import("./run-event-bus"),
      follow: await import("./follow-run-events"),
      db,
      runStore: await import("../services/run-store"),
      runs: await import("../services/runs"),
      actor,
      workflow: { workflowId: wf.id, versionId: version.id, versionNumber: version.number },
    };
    await m.bus.startEventBus();
    expect(m.bus.eventBusStatus()).toMatchObject({ mode: "postgresql", connected: true });
    admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await admin?.end().catch(() => {});
    await m?.bus.stopEventBus();
    await m?.db.$disconnect();
    await database?.drop({ force: true });
  });

  /** A stored run, `running` under a lease nobody here holds (the child writes its events). */
  async function runningRun(): Promise<{ id: number; uuid: string }> {
    return m.runStore.insertRun({
      workspaceId: m.actor.workspaceId, ...m.workflow, label: null, status: "running", origin: "api",
      externalId: null, metadata: "{}", totalSteps: 1, createdById: null, apiKeyId: null, parentRunId: null,
      leaseOwner: "elsewhere", leaseExpiresAt: new Date(Date.now() + 60_000), inputs: "{}",
    });
  }

  /** Starts the child; resolves once it said `ready`. `lines` collects everything it says. */
  async function child(args: (string | number)[]) {
    const proc = spawn(process.execPath, ["--import", "tsx", "lib/events/test-bus-child.ts", ...args.map(String)], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL },
    });
    children.add(proc);
    let stderr = "";
    proc.stderr.on("data", (d) => (stderr += d));
    const lines: Record<string, unknown>[] = [];
    const waiters: { test: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
    createInterface({ input: proc.stdout }).on("line", (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => {
      children.delete(proc);
      resolve(code);
    }));
    const waitFor = (test: (l: Record<string, unknown>) => boolean) =>
      Promise.race([
        new Promise<Record<string, unknown>>((resolve) => {
          const seen = lines.find(test);
          if (seen) resolve(seen);
          else waiters.push({ test, resolve });
        }),
        exited.then((code) => {
          throw new Error(`child exited (${code}) before the expected line; stderr:\n${stderr}`);
        }),
      ]);
    await waitFor((l) => l.ready === true);
    return { proc, lines, waitFor, exited, stderr: () => stderr };
  }

  /** Follows a run to its end in this process; resolves to every frame. */
  function follow(runId: number, onFrame?: (f: RunEventFrame, n: number) => void) {
    const frames: RunEventFrame[] = [];
    const done = (async () => {
      for await (const frame of m.follow.followRunEvents(runId)) {
        frames.push(frame);
        onFrame?.(frame, frames.length);
      }
      return frames;
    })();
    return { frames, done };
  }

  function expectComplete(frames: RunEventFrame[], chunks: number) {
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: chunks + 1 }, (_, i) => i + 1));
    expect(frames.slice(0, -1).every((f) => f.type === "text_chunk")).toBe(true);
    expect(frames.slice(0, -1).map((f) => (f.data as { i: number }).i)).toEqual(Array.from({ length: chunks }, (_, i) => i + 1));
    expect(frames.at(-1)!.type).toBe("run_finished");
  }

  const waitUntil = async (what: string, check: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("a follower here sees every event another process writes, in order, and the run's end", async () => {
    const run = await runningRun();
    const ended: number[] = [];
    const unsubscribe = m.bus.subscribeRunEvents(run.id, (seq, isEnd) => isEnd && ended.push(seq));
    const followed = follow(run.id);
    const writer = await child(["write", run.id, m.actor.workspaceId, 3000]);
    const frames = await followed.done;
    expectComplete(frames, 3000);
    // The end was announced across processes (what a blocking API request waits for). The
    // follower may have read the end from the log on an earlier wake-up, so wait for it.
    await waitUntil("the run's end announced here", () => ended.length > 0);
    unsubscribe();
    expect(ended).toEqual([3001]);
    expect(m.bus.runEndedHere(run.id)).toBe(true);
    const done = await writer.waitFor((l) => l.done === true);
    // Coalesced: far fewer NOTIFYs than events.
    expect(done.notificationsSent as number).toBeLessThan(3001 / 5);
    expect(await writer.exited).toBe(0);
  }, 60_000);

  it("this process's own notifications come back from PostgreSQL but fire its listeners only once", async () => {
    const calls: number[] = [];
    const cancels: number[] = [];
    const off = m.bus.subscribeRunEvents(987_654, (seq) => calls.push(seq));
    const offCancel = m.bus.subscribeRunCancel((id) => cancels.push(id));
    const sentBefore = m.bus.eventBusStatus().notificationsSent!;
    m.bus.notifyRunEvents(987_654, 7);
    m.bus.notifyRunCancel(987_654);
    await waitUntil("the NOTIFY", () => m.bus.eventBusStatus().notificationsSent! > sentBefore);
    await new Promise((r) => setTimeout(r, 200)); // time for it to come back
    off();
    offCancel();
    expect(calls).toEqual([7]);
    expect(cancels).toEqual([987_654]);
  });

  it("a cancel requested here reaches a subscriber in another process, after it is stored", async () => {
    const run = await runningRun();
    const listener = await child(["listen-cancel"]);
    const heard: number[] = [];
    const unsubscribe = m.bus.subscribeRunCancel((id) => heard.push(id));
    const outcome = await m.runs.cancelRun(m.actor, run.uuid);
    expect(outcome).toMatchObject({ changed: true });
    expect(heard).toEqual([run.id]); // in-process subscribers hear it at once
    const line = await listener.waitFor((l) => l.cancel === run.id);
    expect(line.stored).toBe(true);
    unsubscribe();
    listener.proc.stdin.end();
    expect(await listener.exited).toBe(0);
    // Exactly once in the other process, and not echoed back here.
    expect(listener.lines.filter((l) => l.cancel !== undefined)).toHaveLength(1);
    expect(heard).toEqual([run.id]);
  }, 60_000);

  it("after its LISTEN connection is killed the bus reconnects and cross-process events arrive again", async () => {
    const before = m.bus.eventBusStatus();
    const run = await runningRun();
    const followed = follow(run.id);
    const { rows } = await admin.query("SELECT pg_terminate_backend($1) AS ok", [before.backendPid]);
    expect(rows[0].ok).toBe(true);
    await waitUntil("the reconnect", () => (m.bus.eventBusStatus().connects ?? 0) > before.connects!);
    expect(m.bus.eventBusStatus().backendPid).not.toBe(before.backendPid);
    // Written entirely after the reconnect: only the new LISTEN can wake the follower.
    await child(["write", run.id, m.actor.workspaceId, 500]);
    expectComplete(await followed.done, 500);
  }, 60_000);

  it("a follower gets everything when its LISTEN connection is killed mid-stream", async () => {
    const before = m.bus.eventBusStatus();
    const run = await runningRun();
    let killed: Promise<unknown> | null = null;
    const followed = follow(run.id, (_f, n) => {
      if (n === 200) killed = admin.query("SELECT pg_terminate_backend($1)", [before.backendPid]);
    });
    await child(["write", run.id, m.actor.workspaceId, 4000]);
    expectComplete(await followed.done, 4000);
    expect(killed).not.toBeNull();
    await killed;
    await waitUntil("the reconnect", () => (m.bus.eventBusStatus().connects ?? 0) > before.connects!);
  }, 60_000);

  it("the writer's own connection killed mid-stream: its pending notifications go out after it reconnects", async () => {
    const run = await runningRun();
    const followed = follow(run.id);
    const writer = await child(["write", run.id, m.actor.workspaceId, 2000, 1000]);
    expectComplete(await followed.done, 2000);
    const done = await writer.waitFor((l) => l.done === true);
    expect(writer.lines.some((l) => l.killedOwnListener)).toBe(true);
    expect(done.connects).toBe(2);
  }, 60_000);

  it("a resync after a reconnect wakes followers for events announced while nobody listened", async () => {
    const run = await runningRun();
    await m.bus.stopEventBus();
    expect(m.bus.eventBusStatus().mode).toBe("in-process");
    const followed = follow(run.id);
    let finished = false;
    void followed.done.then(() => (finished = true));
    const writer = await child(["write", run.id, m.actor.workspaceId, 300]);
    await writer.waitFor((l) => l.done === true);
    await new Promise((r) => setTimeout(r, 100));
    expect(finished).toBe(false); // nothing told it yet (no polling)
    await m.bus.startEventBus();
    expectComplete(await followed.done, 300);
  }, 60_000);
});
