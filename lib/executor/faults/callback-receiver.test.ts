/**
 * Fault: a callback receiver that never answers. Two kinds: one that accepts the TCP
 * connection and then says nothing, and one that never even accepts it (its accept queue
 * is full: a process blocked forever behind a listening socket, so connects hang).
 *
 * Asserted: runs with such callbacks finish at once (delivery is not on the run's path);
 * other runs' callbacks to a healthy receiver are delivered while every hung first attempt
 * is still waiting (nothing queues behind a receiver that does not answer); each hung
 * delivery is tried FLOWDECK_CALLBACK_MAX_ATTEMPTS times, each attempt cut at the timeout,
 * then recorded `failed` with the reason, nothing left pending; and the production server,
 * stopped with a hung delivery in flight, exits promptly and cleanly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Short timeouts and retries for this file (read when the callbacks module loads).
vi.hoisted(() => {
  process.env.FLOWDECK_CALLBACK_TIMEOUT_MS = "5000";
  process.env.FLOWDECK_CALLBACK_BASE_DELAY_MS = "200";
  process.env.FLOWDECK_CALLBACK_MAX_ATTEMPTS = "2";
});
import { applyMigrations } from "../../db/migrate";
import { db } from "../../db/client";
import { startTestServer as startHttpServer, type TestServer as HttpServer } from "../../net/test-server";
import { startTestServer, testServerUnavailable } from "../../api/test-server";
import type { Actor } from "../../schemas/workspace";
import { createApiKey } from "../../services/api-keys";
import { startRunOnce } from "../../services/runs";
import { createWorkflow } from "../../services/workflows";
import { createWorkspace } from "../../services/workspaces";
import { checkRunsSettled } from "./checks";

const TIMEOUT_MS = 5000;
const ATTEMPTS = 2;
const PER_KIND = 5;

/**
 * Accepts connections and never writes a byte. Counts the connections a request arrived on
 * (undici may open a spare connection that never carries one).
 */
async function startSilentReceiver() {
  const carrying = new Set<net.Socket>();
  const all = new Set<net.Socket>();
  let requests = 0;
  const server = net.createServer((s) => {
    all.add(s);
    s.on("error", () => {});
    s.once("data", () => {
      requests++;
      carrying.add(s);
    });
    s.on("close", () => {
      all.delete(s);
      carrying.delete(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    /** Requests received (each on its own connection: none is ever answered). */
    get requests() {
      return requests;
    },
    /** Connections with a request on them still open. */
    get waiting() {
      return carrying.size;
    },
    close: () => new Promise<void>((r) => {
      for (const s of all) s.destroy();
      server.close(() => r());
    }),
  };
}

/**
 * A listening socket nobody accepts from: a child process listens (backlog 1) and then
 * blocks its only thread for good; two connections of ours fill the accept queue, after
 * which the kernel drops new connection attempts and connects hang.
 */
async function startDeafReceiver() {
  const child: ChildProcess = spawn(process.execPath, ["-e", `
    const s = require("node:net").createServer();
    s.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
      process.stdout.write(s.address().port + "\\n");
      setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 20);
    });`], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
  await new Promise((r) => setTimeout(r, 100));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 8; i++) {
    const outcome = await new Promise<"connected" | "hangs">((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => {});
      fillers.push(s);
      s.once("connect", () => resolve("connected"));
      setTimeout(() => resolve("hangs"), 400);
    });
    if (outcome === "hangs") break;
    if (i === 7) throw new Error("the deaf receiver's accept queue never filled");
  }
  return {
    host: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of fillers) s.destroy();
      child.kill("SIGKILL");
    },
  };
}

let actor: Actor;
let silent: Awaited<ReturnType<typeof startSilentReceiver>>;
let deaf: Awaited<ReturnType<typeof startDeafReceiver>>;
let healthy: HttpServer;
const arrivals = new Map<string, number>();

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "callbacks-fault@example.test" } });
  actor = await createWorkspace(user.id, { slug: "cb-fault", name: "Callbacks" });
  await createWorkflow(actor, {
    name: "quick",
    definition: { steps: [{ id: "hello", kind: "template", config: { template: "hello" } }], outputs: { text: "{{ steps.hello.output }}" } },
  });
  silent = await startSilentReceiver();
  deaf = await startDeafReceiver();
  healthy = await startHttpServer((_req, res, body) => {
    arrivals.set((JSON.parse(body) as { run: { id: string } }).run.id, Date.now()); // by run uuid
    res.writeHead(204).end();
  });
  process.env.FLOWDECK_FETCH_ALLOW = [silent.host, deaf.host, `127.0.0.1:${healthy.port}`].join(",");
}, 60_000);

afterAll(async () => {
  await silent?.close();
  await deaf?.close();
  await healthy?.close();
});

const deliveriesOf = (runIds: number[]) =>
  db.callbackDelivery.findMany({ where: { runId: { in: runIds } }, orderBy: [{ runId: "asc" }, { attempt: "asc" }] });

describe("a callback receiver that never answers", () => {
  it("runs finish at once; hung deliveries are retried, then failed with the reason; other callbacks are not held up", async () => {
    const start = (callbackUrl: string) => startRunOnce(actor, { workflow: "quick", origin: "api", callbackUrl }).then((r) => r.run);
    const t0 = Date.now();
    const hung = [
      ...(await Promise.all(Array.from({ length: PER_KIND }, (_, i) => start(`http://${silent.host}/hook?i=${i}`)))),
      ...(await Promise.all(Array.from({ length: PER_KIND }, (_, i) => start(`http://${deaf.host}/hook?i=${i}`)))),
    ];
    // Other runs right behind them call back a healthy receiver.
    const others = await Promise.all(Array.from({ length: PER_KIND }, () => start(`http://127.0.0.1:${healthy.port}/hook`)));
    const hungIds = hung.map((r) => r.id);
    const otherIds = others.map((r) => r.id);

    // The healthy callbacks get through while every hung first attempt is still waiting:
    // nothing queues behind a receiver that does not answer.
    await waitUntil(async () => (await deliveriesOf(otherIds)).filter((d) => d.state === "delivered").length === PER_KIND, 15_000);
    const hungRows = await deliveriesOf(hungIds);
    expect(hungRows.map((d) => `${d.attempt}:${d.state}`), "hung deliveries when the healthy ones had been delivered").toEqual(hung.map(() => "1:pending"));
    expect(silent.waiting, "requests waiting on the silent receiver meanwhile").toBeGreaterThan(0);
    expect((await deliveriesOf(otherIds)).map((d) => [d.attempt, d.state])).toEqual(others.map(() => [1, "delivered"]));
    const otherRuns = await db.run.findMany({ where: { id: { in: otherIds } }, select: { uuid: true, finishedAt: true } });
    const lags = otherRuns.map((r) => (arrivals.get(r.uuid) ?? Infinity) - r.finishedAt!.getTime());

    // The runs themselves never waited for their receivers.
    const elapsed = (await db.run.findMany({ where: { id: { in: hungIds } }, select: { elapsedMs: true, status: true } }));
    expect(elapsed.map((r) => r.status)).toEqual(hung.map(() => "succeeded"));
    expect(Math.max(...elapsed.map((r) => r.elapsedMs ?? Infinity)), "longest run with a hung callback (ms)").toBeLessThan(TIMEOUT_MS);

    // The hung deliveries: every attempt times out, the last one leaves the delivery failed.
    const settledIn = await waitUntil(async () => {
      const rows = await deliveriesOf(hungIds);
      return rows.length === hung.length * ATTEMPTS && rows.every((d) => d.state === "failed");
    }, 4 * ATTEMPTS * TIMEOUT_MS);
    const rows = await deliveriesOf(hungIds);
    for (const id of hungIds) {
      const mine = rows.filter((d) => d.runId === id);
      expect(mine.map((d) => [d.attempt, d.state, d.statusCode]), `deliveries of run ${id}`).toEqual(Array.from({ length: ATTEMPTS }, (_, i) => [i + 1, "failed", null]));
      for (const d of mine) expect(d.error).toBe(`No answer within ${TIMEOUT_MS / 1000} s`);
      // Each attempt waited out the timeout, and retries kept their backoff.
      for (let i = 1; i < mine.length; i++) expect(mine[i].createdAt.getTime() - mine[i - 1].createdAt.getTime()).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    }
    expect(await db.callbackDelivery.count({ where: { state: "pending" } }), "deliveries left pending").toBe(0);
    expect(silent.requests, "requests the silent receiver saw").toBe(PER_KIND * ATTEMPTS);
    await waitUntil(() => silent.waiting === 0, 3_000); // the timed-out connections were let go

    await checkRunsSettled([...hung, ...others].map((r) => r.uuid));
    console.log(
      `callback receivers: ${hung.length} runs with hung callbacks took at most ${Math.max(...elapsed.map((r) => r.elapsedMs ?? 0))} ms each; ` +
      `${PER_KIND} healthy callbacks delivered at most ${Math.max(...lags)} ms after their runs ended, while the hung ones were in flight; ` +
      `hung deliveries failed after ${ATTEMPTS} attempts, ${settledIn - t0} ms after start (timeout ${TIMEOUT_MS} ms)`,
    );
  }, 60_000);
});

const skipServer = testServerUnavailable();

describe.skipIf(skipServer)("the production server with a hung callback in flight", () => {
  it("stops on SIGTERM promptly and cleanly", async () => {
    const { key } = await createApiKey(actor, { name: "cb fault" });
    const before = silent.requests;
    const server = await startTestServer({
      env: {
        FLOWDECK_FETCH_ALLOW: silent.host,
        FLOWDECK_CALLBACK_TIMEOUT_MS: "60000", // the attempt is still waiting when we stop
        FLOWDECK_SHUTDOWN_GRACE_MS: "2000",
      },
      timeoutMs: 90_000,
    });
    try {
      const res = await fetch(`${server.url}/api/v1/workflows/quick/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ inputs: {}, response_mode: "blocking", callback_url: `http://${silent.host}/hook?server=1` }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).status).toBe("succeeded");
      await waitUntil(() => silent.requests > before, 5_000); // the delivery is waiting on the silent receiver
      const t0 = Date.now();
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => server.process.once("exit", (code, signal) => r({ code, signal })));
      await server.stop(15_000); // SIGTERM; SIGKILL only after 15 s
      const how = await exited;
      const stoppedIn = Date.now() - t0;
      expect(how, "exit of the server").toEqual({ code: 0, signal: null });
      // scripts/server.ts exits by force 5 s after the grace period (7 s here): well before that.
      expect(stoppedIn, "time to stop with a hung delivery in flight").toBeLessThan(5_000);
      console.log(`callback receivers: the server stopped ${stoppedIn} ms after SIGTERM with a hung delivery in flight`);
    } finally {
      await server.stop(1_000);
    }
  }, 120_000);
});

/** Polls `check` until true; resolves with the time it became true. */
async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
