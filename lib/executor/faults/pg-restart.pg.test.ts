/**
 * Fault: the PostgreSQL server restarts while two workers execute runs. On a private
 * server (lib/executor/faults/private-postgres.ts; the shared one serves other test files),
 * twice: a `pg_ctl restart -m fast` (every connection cut, transactions aborted) and a hard
 * stop (`-m immediate`: no shutdown, crash recovery at the next start) with the server down
 * for a couple of seconds. Runs are queued before each outage and more after it.
 *
 * Asserted: the same two worker processes live on and reconnect — graphile-worker takes
 * new jobs, the LISTEN bus is back (one connection each), Prisma queries work (both
 * workers execute runs after each outage); every accepted run ends `succeeded` exactly
 * once with a gap-free log; no step's side effect happens after the step was stored.
 * Skipped when no PostgreSQL server binaries are installed (required in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase } from "../../db/test-database";
import { sideEffectWorkflow, spawnTsx, startSideEffectReceiver, type ChildLines, type SideEffectReceiver } from "../test-fixtures";
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from "./private-postgres";

const unavailable = privatePostgresUnavailable();
const LEASE_MS = 2000;
const PER_PHASE = 40;

describe.skipIf(!!unavailable)(`PostgreSQL restarts under running workers${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let pg: PrivatePostgres;
  let receiver: SideEffectReceiver;
  let db: typeof import("../../db/client").db;
  let actor: import("../../schemas/workspace").Actor;
  const workers: ChildLines[] = [];
  const accepted: string[] = [];

  const startWorker = (name: string) => {
    const worker = spawnTsx("scripts/worker.ts", [], {
      DATABASE_URL: process.env.DATABASE_URL,
      PGAPPNAME: name, // graphile-worker's and Prisma's connections carry the worker's name
      FLOWDECK_LEASE_MS: String(LEASE_MS),
      FLOWDECK_WORKER_CONCURRENCY: "8",
      FLOWDECK_WORKER_PG_POOL: "4",
      FLOWDECK_PG_POOL: "6",
      FLOWDECK_SHUTDOWN_GRACE_MS: "1000",
      FLOWDECK_FETCH_ALLOW: new URL(receiver.origin).host,
    }, name);
    workers.push(worker);
    return worker;
  };

  /** The test process plays the web process: stores runs queued and adds their jobs. */
  const queueRuns = async (n: number) => {
    const { startRun } = await import("../../services/runs");
    for (let i = 0; i < n; i++) {
      const run = await startRun(actor, { workflow: "restart", inputs: { receiver: receiver.origin }, origin: "api" });
      accepted.push(run.uuid);
    }
  };
  /** A query that may meet the outage: retried until the server answers. */
  const query = async <T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const counts = () => query(async () => {
    const rows = await db.run.groupBy({ by: ["status"], _count: true });
    return Object.fromEntries(rows.map((r) => [r.status, r._count])) as Record<string, number>;
  });
  /** Watches which lease owners hold running runs until every run has ended. */
  const runToEnd = async (timeoutMs: number) => {
    const owners = new Set<string>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = await query(() => db.run.findMany({ where: { status: { in: ["queued", "running"] } }, select: { status: true, leaseOwner: true } }));
      for (const r of running) if (r.leaseOwner) owners.add(r.leaseOwner);
      if (running.length === 0) return owners;
      if (Date.now() > deadline) throw new Error(`runs still open after ${timeoutMs} ms: ${JSON.stringify(await counts())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const midway = async (doneAtLeast: number) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = await counts();
      if ((c.succeeded ?? 0) >= doneAtLeast && (c.running ?? 0) >= 4) return c;
      if (Date.now() > deadline) throw new Error(`runs never got mid-way: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  /** Connections per application: the bus's LISTEN ones and graphile-worker's per worker. */
  const listeners = () => query(() => db.$queryRawUnsafe<{ app: string; n: number }[]>(
    `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND (application_name = 'flowdeck-bus' OR query LIKE 'LISTEN "jobs:insert"%')
      GROUP BY 1 ORDER BY 1`,
  ));
  const waitForListeners = async (expected: { app: string; n: number }[]) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const now = await listeners();
      if (JSON.stringify(now) === JSON.stringify(expected)) return;
      if (Date.now() > deadline) expect(now, "LISTEN connections after the outage").toEqual(expected);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const database = await createTestPgDatabase({ baseUrl: pg.url() });
    process.env.DATABASE_URL = database.url;
    process.env.FLOWDECK_EXECUTOR = "worker"; // this process only stores and enqueues
    ({ db } = await import("../../db/client"));
    const { createWorkspace } = await import("../../services/workspaces");
    const { createWorkflow } = await import("../../services/workflows");
    receiver = await startSideEffectReceiver({ delayMs: 40 });
    const user = await db.user.create({ data: { email: "pg-restart@example.test" } });
    actor = await createWorkspace(user.id, { slug: "pg-restart", name: "Restart" });
    await createWorkflow(actor, { name: "restart", definition: sideEffectWorkflow(600) });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await receiver?.close();
    await db?.$disconnect().catch(() => {});
    await pg?.destroy();
  }, 30_000);

  it("restart (fast) and hard stop (immediate) mid-way: the same workers reconnect, every run ends once, no stored step repeats", async () => {
    const { checkRunsSettled } = await import("./checks");
    const { checkCrashOutcome } = await import("../test-crash-checks");
    const [a, b] = [startWorker("faults-worker-a"), startWorker("faults-worker-b")];
    const owners = await Promise.all([a, b].map(async (w) => /\((worker-\d+-[0-9a-f]+),/.exec(await w.waitForLine(/ready/, 60_000))![1]));
    const expectedListeners = [
      { app: "faults-worker-a", n: 1 }, { app: "faults-worker-b", n: 1 }, { app: "flowdeck-bus", n: 2 },
    ].sort((x, y) => x.app.localeCompare(y.app));
    await waitForListeners(expectedListeners);

    const outages: string[] = [];
    for (const mode of ["fast", "immediate"] as const) {
      await queueRuns(PER_PHASE);
      const atOutage = await midway(accepted.length - PER_PHASE + 8);
      const t0 = Date.now();
      if (mode === "fast") {
        await pg.restart("fast");
      } else {
        await pg.stop("immediate");
        await new Promise((r) => setTimeout(r, 2_000)); // down long enough for leases to lapse
        await pg.start();
      }
      const downMs = Date.now() - t0;
      // Runs accepted after the outage need graphile-worker (jobs), Prisma and the bus back.
      await queueRuns(PER_PHASE / 2);
      const seen = await runToEnd(60_000);
      outages.push(`${mode}: ${atOutage.running} running at the outage, server back after ${downMs} ms, all ended ${Date.now() - t0} ms after it began`);
      // The same processes, both still executing runs.
      expect(workers.map((w) => w.child.exitCode ?? w.child.signalCode)).toEqual([null, null]);
      expect([...seen].filter((o) => owners.includes(o)).sort(), `workers that executed runs after the ${mode} outage`).toEqual([...owners].sort());
      await waitForListeners(expectedListeners);
    }

    await checkRunsSettled(accepted);
    const outcome = await checkCrashOutcome({ accepted, receiver, interrupted: [], killedAt: 0 });
    console.log(`pg restart: ${accepted.length} runs over 2 workers; ${outages.join("; ")}; ${outcome.resumed} run(s) taken over, ${outcome.repeatedInFlight} in-flight step call(s) repeated, none after a step was stored`);

    // They still stop gracefully.
    for (const w of [a, b]) w.child.kill("SIGTERM");
    expect((await Promise.all([a.exited, b.exited])).map((e) => e.code)).toEqual([0, 0]);
  }, 120_000);
});
