/**
 * A stand-in for the embedded web process in the crash tests (lib/executor/crash-embedded.test.ts):
 * the runs service and the in-process executor, without Next.js. Run with
 *   node --import tsx lib/executor/test-inline-host.ts <userId> <workspaceSlug>
 * and DATABASE_URL (SQLite) etc. in the environment. It recovers unfinished runs at start
 * (as instrumentation.ts does), prints {"ready":true}, then for each stdin line
 * `start <count> <workflow> <receiver>` starts that many runs, printing {"accepted":uuid}
 * for each and {"started":count} at the end. SIGTERM stops it gracefully.
 */
import readline from "node:readline";
import { getActorForUser } from "../services/users";
import { startRun } from "../services/runs";
import { startExecutor } from "./index";
import { runShutdownHooks } from "./shutdown";

const say = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const [userId, slug] = process.argv.slice(2);
const actor = await getActorForUser(userId, slug);
await startExecutor();
say({ ready: true, pid: process.pid });

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, count, workflow, receiver] = line.trim().split(/\s+/);
  if (command !== "start") return;
  void (async () => {
    const n = Number(count);
    // A few at a time, as clients would send them.
    for (let i = 0; i < n; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, n - i) }, async () => {
        const run = await startRun(actor, { workflow, inputs: { receiver }, origin: "api" });
        say({ accepted: run.uuid, id: run.id });
      }));
    }
    say({ started: n });
  })();
});

process.on("SIGTERM", () => {
  void runShutdownHooks().finally(() => process.exit(0));
});
