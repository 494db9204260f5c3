/** The run page's state from event frames: idempotent, batched, and cheap for streamed text. */
import { describe, expect, it } from "vitest";
import type { RunEventFrame } from "@/lib/schemas/run";
import { applyRunEvents, initialRunViewState } from "./run-view-state";

const specs = [
  { id: "fetch", kind: "http", name: "Fetch" },
  { id: "answer", kind: "llm", name: "Answer" },
];
let t = Date.parse("2026-01-01T00:00:00Z");
function f(seq: number, type: string, data: Record<string, unknown> = {}): RunEventFrame {
  return { seq, type, at: new Date((t += 10)).toISOString(), data };
}

describe("applyRunEvents", () => {
  it("builds steps, attempts, logs, text and the result from frames", () => {
    const frames = [
      f(1, "run_started", { total_steps: 2 }),
      f(2, "step_started", { step_id: "fetch", kind: "http", attempt: 1 }),
      f(3, "log", { step_id: "fetch", level: "warn", message: "retrying" }),
      f(4, "step_started", { step_id: "fetch", kind: "http", attempt: 2 }),
      f(5, "step_finished", { step_id: "fetch", kind: "http", status: "succeeded", output: { ok: 1 }, duration_ms: 30, attempts: 2 }),
      f(6, "step_started", { step_id: "answer", kind: "llm", attempt: 1 }),
      f(7, "text_chunk", { step_id: "answer", text: "Hel" }),
      f(8, "progress", { step_id: "answer", fraction: 0.5, message: "half" }),
      f(9, "text_chunk", { step_id: "answer", text: "lo" }),
      f(10, "step_finished", { step_id: "answer", kind: "llm", status: "succeeded", output: "Hello", duration_ms: 20, attempts: 1, tokens: 7 }),
      f(11, "run_finished", { status: "succeeded", outputs: { a: "Hello" }, duration_ms: 100, total_steps: 2, total_tokens: 7 }),
    ];
    const s = applyRunEvents(initialRunViewState(specs, "queued"), frames);
    expect(s).toMatchObject({ status: "succeeded", lastSeq: 11, ended: true, totalTokens: 7, outputs: { a: "Hello" }, durationMs: 100 });
    expect(s.startedAt).toBe(frames[0].at);
    expect(s.steps[0]).toMatchObject({ status: "succeeded", attempts: 2, durationMs: 30, output: { ok: 1 }, startedAt: frames[1].at });
    expect(s.steps[0].attemptStarts).toEqual([frames[1].at, frames[3].at]);
    expect(s.steps[1]).toMatchObject({ status: "succeeded", tokens: 7, progress: undefined });
    expect(s.texts).toEqual({ answer: "Hello" });
    expect(s.logs).toEqual([{ seq: 3, stepId: "fetch", level: "warn", message: "retrying", at: frames[2].at }]);
  });

  it("applies a frame once, also when a batch repeats frames or a replay overlaps", () => {
    const a = f(1, "run_started");
    const b = f(2, "log", { step_id: "fetch", level: "info", message: "one" });
    const c = f(3, "log", { step_id: "fetch", level: "info", message: "two" });
    const once = applyRunEvents(initialRunViewState(specs, "running"), [a, b, b, a, c, c]);
    expect(once.logs.map((l) => l.message)).toEqual(["one", "two"]);
    const again = applyRunEvents(once, [b, c]);
    expect(again).toBe(once);
    const overlap = applyRunEvents(once, [c, f(4, "log", { step_id: "fetch", level: "error", message: "three" })]);
    expect(overlap.logs.map((l) => l.seq)).toEqual([2, 3, 4]);
  });

  it("leaves steps and logs untouched by text chunks, so their views skip tokens", () => {
    const started = applyRunEvents(initialRunViewState(specs, "running"), [
      f(1, "run_started"), f(2, "step_started", { step_id: "answer", kind: "llm", attempt: 1 }),
      f(3, "log", { step_id: "answer", level: "info", message: "asking" }),
    ]);
    const after = applyRunEvents(started, [f(4, "text_chunk", { step_id: "answer", text: "a" }), f(5, "text_chunk", { step_id: "answer", text: "b" })]);
    expect(after.steps).toBe(started.steps);
    expect(after.logs).toBe(started.logs);
    expect(after.texts.answer).toBe("ab");
    // And a log line leaves the text (and steps) alone.
    const logged = applyRunEvents(after, [f(6, "log", { step_id: "answer", level: "debug", message: "x" })]);
    expect(logged.texts).toBe(after.texts);
    expect(logged.steps).toBe(after.steps);
  });

  it("keeps up with thousands of tokens applied one per batch", () => {
    let s = applyRunEvents(initialRunViewState(specs, "running"), [f(1, "run_started"), f(2, "step_started", { step_id: "answer", kind: "llm", attempt: 1 })]);
    const started = performance.now();
    for (let seq = 3; seq < 5003; seq++) s = applyRunEvents(s, [{ seq, type: "text_chunk", at: "2026-01-01T00:00:01.000Z", data: { step_id: "answer", text: "word " } }]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(s.texts.answer.length).toBe(5000 * 5);
    expect(s.lastSeq).toBe(5002);
  });

  it("shows steps a re-run kept as reused and done, until they would run here", () => {
    const s = initialRunViewState(specs, "running", [{ stepId: "fetch", output: { ok: 1 }, durationMs: 12 }]);
    expect(s.steps[0]).toMatchObject({ status: "succeeded", reused: true, output: { ok: 1 }, durationMs: 12 });
    expect(s.steps[1].status).toBe("pending");
    expect(s.steps[1].reused).toBeFalsy();
    const ran = applyRunEvents(s, [f(1, "step_started", { step_id: "fetch", kind: "http", attempt: 1 })]);
    expect(ran.steps[0]).toMatchObject({ status: "running", reused: false });
  });

  it("adds steps it did not know (a map's inner steps) instead of dropping their events", () => {
    const s = applyRunEvents(initialRunViewState(specs, "running"), [f(1, "step_started", { step_id: "extra", kind: "code", attempt: 1 })]);
    expect(s.steps.map((x) => x.id)).toEqual(["fetch", "answer", "extra"]);
    expect(s.steps[2]).toMatchObject({ kind: "code", status: "running" });
  });
});
