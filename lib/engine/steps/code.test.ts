import { afterAll, describe, expect, it } from "vitest";
import { testPorts } from "../test-ports";
import { validateDefinition } from "../definition";
import type { EngineEvent } from "../events";
import { executeWorkflow } from "../run-workflow";
import { getSandboxPool, shutdownSandboxPool } from "../sandbox/pool";

afterAll(() => shutdownSandboxPool());

const ports = testPorts();

/** Runs a one-step code workflow and returns the outcome plus the events. */
async function runCode(code: string, step: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  const checked = validateDefinition({
    inputs: [{ name: "name", type: "text", default: "Ada" }],
    steps: [{ id: "c", kind: "code", ...step, config: { code, ...config } }],
    outputs: { out: "{{ steps.c.output }}" },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const events: EngineEvent[] = [];
  const t0 = performance.now();
  const outcome = await executeWorkflow({ definition: checked.definition, inputs: { name: "Ada" }, ports, emit: (e) => void events.push(e) });
  return { outcome, events, elapsed: performance.now() - t0 };
}

async function expectHealthy() {
  const { outcome } = await runCode("return inputs.name + '!'");
  expect(outcome.outputs).toEqual({ out: "Ada!" });
}

describe("greet demo", () => {
  it("template → code → transform gives the greeting and its length", async () => {
    const checked = validateDefinition({
      inputs: [{ name: "name", type: "text", label: "Name", default: "World" }],
      steps: [
        { id: "greet", kind: "template", config: { template: "Hello, {{ inputs.name }}!" } },
        { id: "shout", kind: "code", config: { code: "const s = steps.greet.output.toUpperCase(); return { greeting: s, length: s.length };" } },
        { id: "result", kind: "transform", config: { expression: "steps.shout.output" } },
      ],
      outputs: { greeting: "{{ steps.result.output.greeting }}", length: "{{ steps.result.output.length }}" },
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const events: EngineEvent[] = [];
    const outcome = await executeWorkflow({ definition: checked.definition, inputs: { name: "Ada" }, ports, emit: (e) => void events.push(e) });
    expect(outcome).toMatchObject({ status: "succeeded", outputs: { greeting: "HELLO, ADA!", length: 11 }, totalSteps: 3 });
    expect(events.map((e) => e.type)).toEqual([
      "run_started",
      "step_started", "step_finished",
      "step_started", "step_finished",
      "step_started", "step_finished",
      "run_finished",
    ]);
  });
});

describe("code step", () => {
  it("exposes inputs, steps and console; the return value is the output", async () => {
    const { outcome, events } = await runCode("console.log('hi', { a: 1 }); console.warn('careful'); return { n: inputs.name.length, same: typeof steps };");
    expect(outcome.outputs).toEqual({ out: { n: 3, same: "object" } });
    const logs = events.filter((e) => e.type === "log");
    expect(logs).toEqual([
      { type: "log", step_id: "c", level: "info", message: 'hi {"a":1}' },
      { type: "log", step_id: "c", level: "warn", message: "careful" },
    ]);
  });

  it("supports await and returns null for no value", async () => {
    expect((await runCode("const x = await Promise.resolve(21); return x * 2")).outcome.outputs).toEqual({ out: 42 });
    expect((await runCode("const x = 1;")).outcome.outputs).toEqual({ out: null });
  });

  it("reports thrown errors with the line number", async () => {
    const { outcome } = await runCode("const a = 1;\nthrow new Error('nope');");
    expect(outcome.error).toEqual({ code: "code_error", message: "Error: nope (line 2)", step_id: "c" });
  });

  it("rejects a return value that is not JSON", async () => {
    const { outcome } = await runCode("return () => 1");
    expect(outcome.error?.code).toBe("code_error");
    expect(outcome.error?.message).toMatch(/not JSON-serializable/);
  });

  it("has no require, process, fetch or timers, and the constructor trick does not escape", async () => {
    const { outcome } = await runCode(
      "return [typeof require, typeof process, typeof fetch, typeof setTimeout, typeof globalThis.constructor.constructor('return this')().process, globalThis.constructor.constructor('return typeof process')()]",
    );
    expect(outcome.outputs).toEqual({ out: ["undefined", "undefined", "undefined", "undefined", "undefined", "undefined"] });
    const escape = await runCode("return globalThis.constructor.constructor('return process')().env");
    expect(escape.outcome.error?.code).toBe("code_error");
    expect(escape.outcome.error?.message).toMatch(/'?process'? is not defined/);
    await expectHealthy();
  });

  it("stops an endless loop with a timeout", async () => {
    const { outcome, elapsed } = await runCode("while (true) {}", { timeout_ms: 500 });
    expect(outcome.error).toEqual({ code: "timeout", message: "Step exceeded its time limit of 500 ms", step_id: "c" });
    expect(elapsed).toBeLessThan(500 + 1500);
    await expectHealthy();
  });

  it("stops a memory bomb with a memory_limit error", async () => {
    const { outcome, elapsed } = await runCode("let a = []; while (true) a.push('x'.repeat(1e6));", { timeout_ms: 10_000 });
    expect(outcome.error).toEqual({ code: "memory_limit", message: "Step exceeded its memory limit of 32 MB", step_id: "c" });
    expect(elapsed).toBeLessThan(3000);
    const small = await runCode("let a = []; while (true) a.push({ n: a.length });", { timeout_ms: 10_000 }, { memory_mb: 8 });
    expect(small.outcome.error).toEqual({ code: "memory_limit", message: "Step exceeded its memory limit of 8 MB", step_id: "c" });
    await expectHealthy();
  });

  it("reports a plain error as code_error after a job that used most of its memory", async () => {
    const big = await runCode("const a = []; for (let i = 0; i < 26; i++) a.push(String(i).repeat(1e6)); return a.length;");
    expect(big.outcome.outputs).toEqual({ out: 26 });
    const { outcome } = await runCode("null.x");
    expect(outcome.error).toMatchObject({ code: "code_error" });
  });

  it("reports deep recursion as a code error", async () => {
    const { outcome } = await runCode("function f(n) { return f(n + 1) + 1; }\nreturn f(0);");
    expect(outcome.error?.code).toBe("code_error");
    expect(outcome.error?.message).toMatch(/stack/i);
    await expectHealthy();
  });

  it("is cancelled promptly when the run is cancelled mid-loop", async () => {
    const checked = validateDefinition({ steps: [{ id: "spin", kind: "code", config: { code: "while (true) {}" } }] });
    if (!checked.ok) throw new Error("invalid");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const t0 = performance.now();
    const outcome = await executeWorkflow({ definition: checked.definition, inputs: {}, ports, emit: () => {}, signal: controller.signal });
    expect(outcome.status).toBe("cancelled");
    expect(performance.now() - t0).toBeLessThan(1000);
    await expectHealthy();
  });

  it("does not block the host's event loop while user code spins", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await runCode("const end = Date.now() + 300; while (Date.now() < end) {} return 1");
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(15);
  });

  it("runs two code steps at once on the pool", async () => {
    const checked = validateDefinition({
      steps: [
        { id: "a", kind: "code", config: { code: "const end = Date.now() + 300; while (Date.now() < end) {} return 'a'" } },
        { id: "b", kind: "code", config: { code: "const end = Date.now() + 300; while (Date.now() < end) {} return 'b'" } },
      ],
      outputs: { both: "{{ steps.a.output }}{{ steps.b.output }}" },
    });
    if (!checked.ok) throw new Error("invalid");
    const t0 = performance.now();
    const outcome = await executeWorkflow({ definition: checked.definition, inputs: {}, ports, emit: () => {} });
    expect(outcome.outputs).toEqual({ both: "ab" });
    if (getSandboxPool().size >= 2) expect(performance.now() - t0).toBeLessThan(550);
  });

  it("keeps a warm round trip fast", async () => {
    const pool = getSandboxPool();
    const job = { code: "return inputs.name.length", inputs: '{"name":"Ada"}', steps: "{}", timeoutMs: 1000, memoryMb: 32 };
    for (let i = 0; i < 300; i++) await pool.run(job);
    let perCall = Infinity;
    for (let batch = 0; batch < 5; batch++) {
      const n = 100;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await pool.run(job);
      perCall = Math.min(perCall, (performance.now() - t0) / n);
    }
    console.log(`sandbox: warm round trip ${perCall.toFixed(3)} ms`);
    expect(await pool.run(job)).toEqual({ ok: true, output: "3" });
    // Typically ~0.7 ms on an idle machine; the bound leaves room for parallel test files.
    expect(perCall).toBeLessThan(3);
  });
});
