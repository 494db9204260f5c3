/**
 * Run callbacks: when a run with a callback_url ends, its result is POSTed there, signed
 * with the workspace's signing secret, and retried with exponential backoff.
 *
 * Every attempt is one CallbackDelivery row (pending → delivered | failed), shown on the run.
 * A pending row is due at nextAttemptAt; whoever delivers it first claims it by moving
 * nextAttemptAt a lease ahead (compare-and-set), so a timer in this process and the scanner
 * never send the same attempt twice, and a process that dies mid-attempt leaves a row the
 * scanner picks up again after a restart. Nothing here runs on the executor's path: the
 * executor only calls onRunEnded, which returns at once.
 *
 * Signature: header `X-Flowdeck-Signature: t=<unix seconds>,v1=<hex>` where hex is
 * HMAC-SHA256(signing secret, `${t}.${raw body}`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { db } from "../db/client";
import { guardedFetch } from "../net/guarded-fetch";
import { decryptSecret } from "../security/secret-box";
import { runAt } from "../time/run-at";
import type { RunDoc } from "../schemas/api-runs";
import type { Actor } from "../schemas/workspace";
import { NotFoundError } from "./errors";
import { assertCan } from "./permissions";
import { getRunDocumentById } from "./run-documents";

export const SIGNATURE_HEADER = "X-Flowdeck-Signature";
const MAX_ATTEMPTS = Number(process.env.FLOWDECK_CALLBACK_MAX_ATTEMPTS ?? 5);
/** Delay before the 2nd attempt; it doubles for each one after. */
const BASE_DELAY_MS = Number(process.env.FLOWDECK_CALLBACK_BASE_DELAY_MS ?? 2_000);
const TIMEOUT_MS = Number(process.env.FLOWDECK_CALLBACK_TIMEOUT_MS ?? 10_000);
/** How long a claimed attempt is reserved before another process may take it over. */
const CLAIM_MS = TIMEOUT_MS + 20_000;
const SCAN_INTERVAL_MS = 5_000;

/** The signature header value for a body sent at `t` (unix seconds). */
export function signCallbackBody(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

/** Checks a signature header (for receivers and tests); `toleranceSec` bounds its age. */
export function verifyCallbackSignature(secret: string, body: string, header: string, toleranceSec = 300, now = Date.now()): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(now / 1000 - t) > toleranceSec) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  const given = Buffer.from(parts.v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Delay before attempt `attempt` (2, 3, …): base, 2×base, 4×base… */
export function retryDelayMs(attempt: number): number {
  return BASE_DELAY_MS * 2 ** Math.max(0, attempt - 2);
}

/** The workspace's signing secret (admins only), to verify callbacks with. */
export async function getSigningSecret(actor: Actor): Promise<string> {
  assertCan(actor, "manage");
  const ws = await db.workspace.findUnique({ where: { id: actor.workspaceId }, select: { signingSecret: true } });
  if (!ws) throw new NotFoundError("Workspace");
  return decryptSecret(ws.signingSecret);
}

/** The body of a run's callback, for runs of one origin (a compatibility API sends its own shape). */
export type CallbackBodyFormatter = (run: { id: number; workspaceId: number }, doc: RunDoc) => unknown | Promise<unknown>;

interface CallbackState {
  expected: Set<number>; secrets: Map<number, string>; started: boolean; formatters?: Map<string, CallbackBodyFormatter>;
}
const globalForCallbacks = globalThis as unknown as { flowdeckCallbacks?: CallbackState };
const state: CallbackState = (globalForCallbacks.flowdeckCallbacks ??= { expected: new Set(), secrets: new Map(), started: false });
// On globalThis with the rest: the module that registers may be another bundle than the one delivering.
const formatters = (state.formatters ??= new Map());

/** Runs of `origin` get `format`'s body instead of `{event: "run.finished", run}`; still signed the same way. */
export function registerCallbackBody(origin: string, format: CallbackBodyFormatter): void {
  formatters.set(origin, format);
}

/** Notes that a run created in this process has a callback (so onRunEnded needs no query). */
export function expectCallback(runId: number): void {
  state.expected.add(runId);
}

/**
 * Called when a run has ended (by the executor, or by cancelling a queued run). Schedules
 * the first delivery if the run has a callback; never throws, returns without waiting.
 */
export function onRunEnded(runId: number): Promise<void> {
  // Taken out first so two callers cannot both schedule; put back if the run is not final
  // yet (a cancel racing with the executor), so the executor's own call still schedules it.
  if (!state.expected.delete(runId)) return Promise.resolve();
  return scheduleFirstDelivery(runId)
    .then((outcome) => {
      if (outcome === "not_final") state.expected.add(runId);
    })
    .catch((error) => console.error(`[callbacks] run ${runId}:`, error));
}

/** Creates attempt 1 (due now) unless the run already has deliveries, then sends it. */
export async function scheduleFirstDelivery(runId: number): Promise<"scheduled" | "not_final" | "none"> {
  const run = await db.run.findUnique({
    where: { id: runId },
    select: { workspaceId: true, callbackUrl: true, status: true, _count: { select: { callbacks: true } } },
  });
  if (!run?.callbackUrl || run._count.callbacks > 0) return "none";
  if (!["succeeded", "failed", "cancelled"].includes(run.status)) return "not_final";
  const row = await db.callbackDelivery.create({
    data: { workspaceId: run.workspaceId, runId, url: run.callbackUrl, attempt: 1, state: "pending", nextAttemptAt: new Date() },
    select: { id: true },
  });
  await deliver(row.id);
  return "scheduled";
}

async function workspaceSecret(workspaceId: number): Promise<string> {
  let secret = state.secrets.get(workspaceId);
  if (!secret) {
    const ws = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { signingSecret: true } });
    secret = decryptSecret(ws.signingSecret);
    state.secrets.set(workspaceId, secret);
  }
  return secret;
}

/** Sends one pending attempt if it can be claimed; records the outcome and schedules the next. */
export async function deliver(deliveryId: number): Promise<void> {
  const now = new Date();
  const claimed = await db.callbackDelivery.updateMany({
    where: { id: deliveryId, state: "pending", nextAttemptAt: { lte: now } },
    data: { nextAttemptAt: new Date(now.getTime() + CLAIM_MS) },
  });
  if (claimed.count === 0) return;
  const delivery = await db.callbackDelivery.findUniqueOrThrow({ where: { id: deliveryId } });

  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const doc = await getRunDocumentById(delivery.runId, { stepOutputs: true });
    if (!doc) throw new Error("The run no longer exists");
    const format = formatters.get(doc.origin);
    const body = JSON.stringify(format ? await format({ id: delivery.runId, workspaceId: delivery.workspaceId }, doc) : { event: "run.finished", run: doc });
    const res = await guardedFetch(delivery.url, {
      method: "POST",
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "Flowdeck-Callbacks/1",
        [SIGNATURE_HEADER]: signCallbackBody(await workspaceSecret(delivery.workspaceId), body),
        "X-Flowdeck-Event": "run.finished",
        "X-Flowdeck-Delivery": String(delivery.id),
        "X-Flowdeck-Attempt": String(delivery.attempt),
      },
    });
    statusCode = res.status;
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status >= 300) error = `The receiver answered ${res.status}`;
  } catch (e) {
    const timeout = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    error = timeout ? `No answer within ${TIMEOUT_MS / 1000} s` : e instanceof Error ? e.message : String(e);
  }

  const delivered = error === null;
  await db.callbackDelivery.update({
    where: { id: delivery.id },
    data: { state: delivered ? "delivered" : "failed", statusCode, error: error?.slice(0, 1000) ?? null, nextAttemptAt: null },
  });
  if (delivered || delivery.attempt >= MAX_ATTEMPTS) return;
  const next = delivery.attempt + 1;
  const dueAt = Date.now() + retryDelayMs(next);
  const row = await db.callbackDelivery.create({
    data: {
      workspaceId: delivery.workspaceId, runId: delivery.runId, url: delivery.url, attempt: next, state: "pending",
      nextAttemptAt: new Date(dueAt),
    },
    select: { id: true },
  });
  // Not a plain setTimeout: one that fires a millisecond early would find the row not due yet.
  runAt(dueAt, () => void deliver(row.id).catch((e) => console.error("[callbacks] delivery failed:", e)));
}

/** Sends every pending attempt that is due (after a restart, or a timer that was lost). */
export async function deliverDueCallbacks(limit = 50): Promise<number> {
  const due = await db.callbackDelivery.findMany({
    where: { state: "pending", nextAttemptAt: { lte: new Date() } },
    orderBy: { nextAttemptAt: "asc" },
    take: limit,
    select: { id: true },
  });
  await Promise.all(due.map((d) => deliver(d.id).catch((e) => console.error("[callbacks] delivery failed:", e))));
  return due.length;
}

/**
 * Starts the scanner (once per process): due attempts every few seconds; and remembers the
 * unfinished runs with callbacks, which this process's executor is about to resume.
 */
export async function startCallbackDispatcher(): Promise<void> {
  if (state.started) return;
  state.started = true;
  const unfinished = await db.run.findMany({
    where: { status: { in: ["queued", "running"] }, callbackUrl: { not: null } },
    select: { id: true },
    take: 10_000,
  });
  for (const r of unfinished) expectCallback(r.id);
  const tick = () => void deliverDueCallbacks().catch((e) => console.error("[callbacks] scan failed:", e));
  tick();
  setInterval(tick, SCAN_INTERVAL_MS).unref();
}
