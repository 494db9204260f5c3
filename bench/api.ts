/**
 * The run API over real HTTP against the production server: blocking `greet` runs/s at
 * concurrency 1 and 16, and the latency from request to the first SSE event (streaming
 * mode), each printed beside the same server's bare route (GET /api/health, no database)
 * measured in the same run, as a ratio.
 *
 * Run: npx tsx bench/api.ts [seconds-per-figure=5]
 * It builds if needed, then starts `npm start` on a throwaway SQLite database on port 3390.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pool } from "undici";

const SECONDS = Number(process.argv[2] ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3390);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const KEY = "fd_bench_key_0123456789abcdef";

const dir = mkdtempSync(path.join(os.tmpdir(), "flowdeck-bench-api-"));
const server = spawn("npx", ["--no-install", "tsx", "scripts/start.ts"], {
  cwd: path.resolve(import.meta.dirname, ".."),
  env: {
    ...process.env, PORT: String(PORT), DATABASE_URL: `file:${dir}/bench.db`, FLOWDECK_DATA_DIR: dir,
    FLOWDECK_DEMO_API_KEY: KEY, FLOWDECK_SECRET_KEY: "bench", NODE_ENV: "production",
  },
  stdio: ["ignore", "ignore", "inherit"],
  detached: true,
});
const stop = () => {
  try {
    process.kill(-server.pid!, "SIGTERM");
  } catch {
    // already gone
  }
};
process.on("exit", stop);

const pool = new Pool(ORIGIN, { connections: 32, pipelining: 1 });
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await pool.request({ path: "/api/health", method: "GET" });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("server did not start");
}

type Call = () => Promise<void>;

const bare: Call = async () => {
  const res = await pool.request({ path: "/api/health", method: "GET" });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`health ${res.statusCode}`);
};

let n = 0;
const greet: Call = async () => {
  const res = await pool.request({
    path: "/api/v1/workflows/greet/runs", method: "POST", headers,
    body: JSON.stringify({ inputs: { name: `bench ${n++}` }, label: "production", response_mode: "blocking" }),
  });
  const body = (await res.body.json()) as { status?: string; outputs?: { greeting?: string } };
  if (res.statusCode !== 200 || body.status !== "succeeded" || !body.outputs?.greeting) {
    throw new Error(`greet ${res.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
  }
};

/** Time to the first SSE `data:` line of a streaming run (the body is then drained). */
async function firstEvent(): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({
    path: "/api/v1/workflows/greet/runs", method: "POST", headers,
    body: JSON.stringify({ inputs: { name: "stream" }, label: "production", response_mode: "streaming" }),
  });
  if (res.statusCode !== 200) throw new Error(`streaming ${res.statusCode}: ${await res.body.text()}`);
  let first = 0;
  let text = "";
  for await (const chunk of res.body) {
    text += chunk.toString();
    if (!first && /(^|\n)data:/.test(text)) first = performance.now() - t0;
  }
  if (!first) throw new Error("no event in the stream");
  return first;
}

async function latency(call: Call, seconds: number): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b);
}

async function throughput(call: Call, clients: number, seconds: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        await call();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (x: number) => `${x.toFixed(2)} ms`;

try {
  await waitForServer();
  // Warm both paths (JIT, caches, the sandbox).
  await throughput(bare, 4, 1);
  await throughput(greet, 4, 2);

  const bareAlone = await latency(bare, SECONDS);
  const greetAlone = await latency(greet, SECONDS);
  const bare16 = await throughput(bare, 16, SECONDS);
  const greet16 = await throughput(greet, 16, SECONDS);
  const firsts: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) firsts.push(await firstEvent());
  firsts.sort((a, b) => a - b);

  console.log(`figure | greet | bare route | ratio`);
  console.log(`alone, p50 | ${ms(pct(greetAlone, 0.5))} | ${ms(pct(bareAlone, 0.5))} | ${(pct(greetAlone, 0.5) / pct(bareAlone, 0.5)).toFixed(1)}×`);
  console.log(`alone, p99 | ${ms(pct(greetAlone, 0.99))} | ${ms(pct(bareAlone, 0.99))} | ${(pct(greetAlone, 0.99) / pct(bareAlone, 0.99)).toFixed(1)}×`);
  console.log(`alone, runs/s | ${(1000 / pct(greetAlone, 0.5)).toFixed(0)} | ${(1000 / pct(bareAlone, 0.5)).toFixed(0)} | —`);
  console.log(`16 clients, runs/s | ${greet16.toFixed(0)} | ${bare16.toFixed(0)} | ${(greet16 / bare16).toFixed(2)}`);
  console.log(`request → first SSE event | p50 ${ms(pct(firsts, 0.5))}, p99 ${ms(pct(firsts, 0.99))} | ${ms(pct(bareAlone, 0.5))} | ${(pct(firsts, 0.5) / pct(bareAlone, 0.5)).toFixed(1)}×`);
} finally {
  await pool.close();
  stop();
}
process.exit(0);
