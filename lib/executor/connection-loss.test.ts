/**
 * A worker lives through background rejections that are a lost database connection (what
 * graphile-worker leaves unhandled when PostgreSQL restarts), and still dies of any other
 * one. Checked in real child processes, since unhandled rejections end a process.
 * The whole restart is exercised by lib/executor/faults/pg-restart.pg.test.ts.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isConnectionLoss } from "./connection-loss";

const ROOT = path.resolve(import.meta.dirname, "../..");

function runChild(rejectWith: string): { status: number | null; stdout: string; stderr: string } {
  const script = `
    const { surviveConnectionLoss } = await import(${JSON.stringify(path.join(ROOT, "lib/executor/connection-loss.ts"))});
    surviveConnectionLoss("test");
    Promise.reject(${rejectWith});
    setTimeout(() => { console.log("still alive"); process.exit(0); }, 200);
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("isConnectionLoss", () => {
  it("knows the ways node-postgres and PostgreSQL say the connection is gone", () => {
    const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });
    expect(isConnectionLoss(coded("ECONNREFUSED"))).toBe(true);
    expect(isConnectionLoss(coded("ECONNRESET"))).toBe(true);
    expect(isConnectionLoss(coded("57P01", "terminating connection due to administrator command"))).toBe(true);
    expect(isConnectionLoss(coded("57P03", "the database system is starting up"))).toBe(true);
    expect(isConnectionLoss(coded("08006"))).toBe(true);
    expect(isConnectionLoss(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isConnectionLoss(new Error("wrapped", { cause: coded("ECONNREFUSED") }))).toBe(true);
  });

  it("does not excuse anything else", () => {
    expect(isConnectionLoss(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
    expect(isConnectionLoss(new TypeError("x is not a function"))).toBe(false);
    expect(isConnectionLoss("ECONNREFUSED")).toBe(false);
    expect(isConnectionLoss(null)).toBe(false);
  });
});

describe("surviveConnectionLoss", () => {
  it("logs a lost connection rejected in the background and carries on", () => {
    const r = runChild(`Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })`);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("still alive");
    expect(r.stderr).toContain("lost the database connection");
  });

  it("still ends the process for any other unhandled rejection", () => {
    const r = runChild(`new Error("a real bug")`);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain("still alive");
    expect(r.stderr).toContain("a real bug");
  });
});
