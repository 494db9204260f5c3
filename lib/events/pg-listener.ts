/**
 * The PostgreSQL side of the run event bus: one connection per process that LISTENs on one
 * channel and also carries this process's own NOTIFYs.
 *
 * Publishing is coalesced: per run only the newest seq is kept until the next send, at most
 * one send is in flight, and one send carries every pending run (several runs per
 * notification, several notifications per query). A busy worker therefore sends about one
 * query per round trip however many events it writes. Notifications only say "look again":
 * readers take the events from the log, so a lost one costs latency, never data.
 *
 * The connection reconnects with backoff after a drop (or a failed health check); after
 * every connect, once LISTEN is active, `onResync` fires so subscribers re-read the log for
 * whatever was announced while nobody listened. Nothing here imports Next.js or Prisma.
 */
import { Client } from "pg";

export const BUS_CHANNEL = "flowdeck_bus";
/** PostgreSQL refuses payloads of 8000 bytes or more; ours are ASCII. */
const MAX_PAYLOAD = 7900;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 10_000;

export interface PgBusHandlers {
  onRunEvents(runId: number, lastSeq: number, ended: boolean): void;
  onRunCancel(runId: number): void;
  /** After every (re)connect, once LISTEN is active: announcements may have been missed. */
  onResync(): void;
}

export interface PgBusOptions {
  /** How often the idle connection is checked with a query (half-open TCP is otherwise silent). */
  healthCheckMs?: number;
  /** How long that check may take before the connection counts as dead. */
  healthTimeoutMs?: number;
}

export interface PgBusStats {
  connected: boolean;
  /** Successful connects, the first included. */
  connects: number;
  drops: number;
  /** The LISTEN connection's server process (for pg_terminate_backend in tests). */
  backendPid: number | null;
  publishQueries: number;
  notificationsSent: number;
  notificationsReceived: number;
}

interface PendingRun {
  seq: number;
  ended: boolean;
}

/** The wire format: `{"o": origin, "r": [[runId, seq, 0|1], …], "c": [runId, …]}`. */
export function encodeBusPayloads(origin: string, runs: Map<number, PendingRun>, cancels: Iterable<number>): string[] {
  const head = `{"o":${JSON.stringify(origin)}`;
  const payloads: string[] = [];
  let r: string[] = [];
  let c: string[] = [];
  let size = head.length + 20; // room for the keys, brackets and braces
  const close = () => {
    if (!r.length && !c.length) return;
    payloads.push(`${head}${r.length ? `,"r":[${r.join(",")}]` : ""}${c.length ? `,"c":[${c.join(",")}]` : ""}}`);
    r = [];
    c = [];
    size = head.length + 20;
  };
  const add = (list: "r" | "c", item: string) => {
    if (size + item.length + 1 > MAX_PAYLOAD) close();
    (list === "r" ? r : c).push(item);
    size += item.length + 1;
  };
  for (const [runId, p] of runs) add("r", `[${runId},${p.seq},${p.ended ? 1 : 0}]`);
  for (const runId of cancels) add("c", String(runId));
  close();
  return payloads;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export class PgBusConnection {
  private client: Client | null = null;
  private dropCurrent: ((err?: unknown) => void) | null = null;
  private stopped = false;
  private backoff = BACKOFF_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private healthTimer: ReturnType<typeof setInterval> | undefined;
  private pendingRuns = new Map<number, PendingRun>();
  private pendingCancels = new Set<number>();
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private readonly healthCheckMs: number;
  private readonly healthTimeoutMs: number;
  readonly stats: PgBusStats = {
    connected: false, connects: 0, drops: 0, backendPid: null,
    publishQueries: 0, notificationsSent: 0, notificationsReceived: 0,
  };

  constructor(
    private readonly url: string,
    readonly origin: string,
    private readonly handlers: PgBusHandlers,
    opts: PgBusOptions = {},
  ) {
    this.healthCheckMs = opts.healthCheckMs ?? 30_000;
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 10_000;
  }

  /** Connects; resolves after the first attempt either way (a failure retries in the background). */
  start(): Promise<void> {
    this.healthTimer ??= setInterval(() => void this.checkHealth(), this.healthCheckMs);
    this.healthTimer.unref?.();
    return this.connect();
  }

  publishRunEvents(runId: number, lastSeq: number, ended: boolean): void {
    const prev = this.pendingRuns.get(runId);
    if (prev) {
      prev.seq = Math.max(prev.seq, lastSeq);
      prev.ended ||= ended;
    } else {
      this.pendingRuns.set(runId, { seq: lastSeq, ended });
    }
    this.scheduleFlush();
  }

  publishRunCancel(runId: number): void {
    this.pendingCancels.add(runId);
    this.scheduleFlush();
  }

  /** Sends what is pending (briefly), then closes; no reconnects afterwards. */
  async stop(): Promise<void> {
    if (this.client && !this.stopped) {
      await Promise.race([this.flushAll(), new Promise((r) => setTimeout(r, 2_000).unref?.())]);
    }
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    const client = this.client;
    this.client = null;
    this.dropCurrent = null;
    this.stats.connected = false;
    await client?.end().catch(() => {});
  }

  private async flushAll(): Promise<void> {
    while (this.client && (this.flushing || this.pendingRuns.size || this.pendingCancels.size)) {
      await (this.flushing ?? this.flush());
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.url,
      keepAlive: true,
      application_name: "flowdeck-bus",
      connectionTimeoutMillis: 10_000,
    });
    let dropped = false;
    const drop = (err?: unknown) => {
      if (dropped) return;
      dropped = true;
      client.removeAllListeners("notification");
      if (this.client === client) {
        this.client = null;
        this.dropCurrent = null;
        this.stats.connected = false;
        this.stats.drops++;
      }
      void client.end().catch(() => {});
      if (this.stopped) return;
      if (err) console.warn(`[event-bus] PostgreSQL connection lost (${(err as Error).message ?? err}); reconnecting`);
      this.scheduleReconnect();
    };
    client.on("error", drop);
    client.on("end", () => drop());
    client.on("notification", (msg) => {
      if (msg.channel === BUS_CHANNEL && msg.payload) this.receive(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${BUS_CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      if (dropped) return;
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.dropCurrent = drop;
      this.backoff = BACKOFF_MIN_MS;
      Object.assign(this.stats, { connected: true, connects: this.stats.connects + 1, backendPid: rows[0]?.pid ?? null });
      // Listening now: whatever was written before is in the log, whatever comes next is announced.
      this.handlers.onResync();
      this.scheduleFlush();
    } catch (err) {
      drop(err);
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    const wait = this.backoff * (0.5 + Math.random() / 2);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, wait);
  }

  private async checkHealth(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const drop = this.dropCurrent;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      client.query("SELECT 1").then(() => true, () => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.healthTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!ok && this.client === client) drop?.(new Error("health check failed"));
  }

  private receive(payload: string): void {
    let msg: { o?: unknown; r?: unknown; c?: unknown };
    try {
      msg = JSON.parse(payload);
    } catch {
      return;
    }
    // Our own announcements were delivered locally when they were made.
    if (msg.o === this.origin) return;
    this.stats.notificationsReceived++;
    if (Array.isArray(msg.r)) {
      for (const entry of msg.r) {
        if (!Array.isArray(entry) || !isCount(entry[0]) || !isCount(entry[1])) continue;
        this.handlers.onRunEvents(entry[0], entry[1], entry[2] === 1);
      }
    }
    if (Array.isArray(msg.c)) {
      for (const runId of msg.c) if (isCount(runId)) this.handlers.onRunCancel(runId);
    }
  }

  private scheduleFlush(): void {
    if (!this.client || this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    // One tick of batching: everything announced in this turn of the event loop goes together.
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.flushing) void this.flush();
    });
  }

  private flush(): Promise<void> {
    const client = this.client;
    if (!client || (!this.pendingRuns.size && !this.pendingCancels.size)) return Promise.resolve();
    const runs = this.pendingRuns;
    const cancels = this.pendingCancels;
    this.pendingRuns = new Map();
    this.pendingCancels = new Set();
    const payloads = encodeBusPayloads(this.origin, runs, cancels);
    const sending = client
      .query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [BUS_CHANNEL, payloads])
      .then(
        () => {
          this.stats.publishQueries++;
          this.stats.notificationsSent += payloads.length;
        },
        (err) => {
          // Put them back (newer announcements win) and start over on a fresh connection:
          // they are sent after the reconnect.
          for (const [runId, p] of runs) {
            const now = this.pendingRuns.get(runId);
            this.pendingRuns.set(runId, now ? { seq: Math.max(now.seq, p.seq), ended: now.ended || p.ended } : p);
          }
          for (const runId of cancels) this.pendingCancels.add(runId);
          if (this.client === client) this.dropCurrent?.(err);
        },
      )
      .finally(() => {
        this.flushing = null;
        if (this.pendingRuns.size || this.pendingCancels.size) this.scheduleFlush();
      });
    this.flushing = sending;
    return sending;
  }
}
