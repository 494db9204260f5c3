/**
 * A second process for the cross-process event bus tests (lib/events/run-event-bus.pg.test.ts)
 * and the latency bench: `node --import tsx lib/events/test-bus-child.ts <mode> …` with
 * DATABASE_URL pointing at the shared PostgreSQL database. It prints one JSON line per thing
 * it has to say on stdout.
 *
 *   write <runId> <workspaceId> <count> [killOwnListenerAt=0] [everyMs=0]
 *       Writes `count` text_chunk events and then run_finished through the real
 *       RunEventWriter: a few events per tick like a fast streaming step (everyMs 0), or
 *       one event every `everyMs` ms. Optionally terminates its own LISTEN connection
 *       after `killOwnListenerAt` events.
 *       Each event's data carries `sentAt` (ms since the epoch, sub-ms) and `i`.
 *   ping <runId> <count> <everyMs>
 *       Only the bus, no database writes: `count` notifyRunEvents(runId, seq) where seq is
 *       the send time in microseconds since the epoch (for the bus-hop latency bench).
 *   listen-cancel
 *       Prints {"cancel": runId, "stored": bool} for every cancel signal heard (stored:
 *       whether the run's cancelRequestedAt is visible already).
 *
 * Both print {"ready": true, …} once the bus is connected, and {"done": true, …} at the end
 * (write: with commitP50/commitP99, append → committed in ms as announced in-process, and
 * committedAt, per seq, when that was).
 */
import { Client } from "pg";
import { eventBusStatus, startEventBus, stopEventBus, subscribeRunCancel, subscribeRunEvents } from "./run-event-bus";

const say = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const [mode, ...args] = process.argv.slice(2);

await startEventBus();
if (!eventBusStatus().connected) throw new Error("the event bus did not connect");

if (mode === "write") {
  const [runId, workspaceId, count, killAt, everyMs = 0] = args.map(Number);
  const { RunEventWriter } = await import("../services/run-event-writer");
  say({ ready: true, pid: process.pid });
  const writer = new RunEventWriter(runId, workspaceId, 0);
  // Append → committed (announced here), per event: the part of the latency before the bus.
  const appendedAt: number[] = [];
  const committed: number[] = [];
  /** Per seq (index seq - 1): when its commit was announced here, ms since the epoch. */
  const committedAt: number[] = [];
  subscribeRunEvents(runId, (lastSeq) => {
    if (!Number.isFinite(lastSeq)) return; // a resync, not a commit
    const at = performance.now();
    for (let seq = committed.length + 1; seq <= lastSeq; seq++) {
      committed.push(at - appendedAt[seq]);
      committedAt.push(Math.round((performance.timeOrigin + at) * 1000) / 1000);
    }
  });
  const started = performance.now();
  for (let i = 1; i <= count; i++) {
    appendedAt[i] = performance.now();
    writer.append("text_chunk", { stepId: "s", text: `chunk ${i} `, i, sentAt: performance.timeOrigin + appendedAt[i] });
    if (i === killAt) await terminateOwnListener();
    // A few chunks per tick, then let timers (the writer's batch flush) and I/O run.
    if (everyMs > 0) await sleepUntil(started + i * everyMs);
    else if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  appendedAt[count + 1] = performance.now();
  writer.append("run_finished", { status: "succeeded", sentAt: performance.timeOrigin + appendedAt[count + 1] }, {
    run: { status: "succeeded", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null },
  });
  await writer.flushNow();
  const ms = performance.now() - started;
  const stats = await stopEventBus(); // sends what is still pending
  committed.sort((a, b) => a - b);
  const pct = (p: number) => committed[Math.min(committed.length - 1, Math.floor(committed.length * p))];
  say({ done: true, ms, lastSeq: writer.lastSeq, commitP50: pct(0.5), commitP99: pct(0.99), ...stats, committedAt });
  process.exit(0);
} else if (mode === "ping") {
  const [runId, count, everyMs] = args.map(Number);
  const { notifyRunEvents } = await import("./run-event-bus");
  say({ ready: true, pid: process.pid });
  const started = performance.now();
  for (let i = 1; i <= count; i++) {
    await sleepUntil(started + i * everyMs);
    notifyRunEvents(runId, Math.round((performance.timeOrigin + performance.now()) * 1000), i === count);
  }
  const stats = await stopEventBus();
  say({ done: true, ...stats });
  process.exit(0);
} else if (mode === "listen-cancel") {
  const { isCancelRequested } = await import("../services/run-execution");
  subscribeRunCancel((runId) => {
    void isCancelRequested(runId).then((stored) => say({ cancel: runId, stored }));
  });
  say({ ready: true, pid: process.pid });
  // Ends when the test closes stdin.
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await stopEventBus();
    process.exit(0);
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}

/** Paced by the clock rather than by sleep lengths, so timer overshoot does not add up. */
async function sleepUntil(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

async function terminateOwnListener(): Promise<void> {
  const pid = eventBusStatus().backendPid;
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query("SELECT pg_terminate_backend($1)", [pid]);
  await admin.end();
  say({ killedOwnListener: pid });
}
