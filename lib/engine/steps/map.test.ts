import { afterAll, describe, expect, it } from "vitest";
import { validateDefinition } from "../definition";
import type { EngineEvent } from "../events";
import { executeWorkflow } from "../run-workflow";
import { shutdownSandboxPool } from "../sandbox/pool";
import { testPorts } from "../test-ports";

afterAll(() => shutdownSandboxPool());

function mapWorkflow(config: Record<string, unknown>, extraSteps: unknown[] = []) {
  return {
    inputs: [{ name: "words", type: "json" }, { name: "suffix", type: "text", required: false, default: "!" }],
    steps: [
      { id: "source", kind: "transform", config: { expression: "inputs.words" } },
      { id: "each", kind: "map", config: { items: "{{ steps.source.output }}", ...config } },
      ...extraSteps,
    ],
    outputs: { out: "{{ steps.each.output }}" },
  };
}

async function run(def: unknown, inputs: Record<string, unknown>, signal?: AbortSignal) {
  const checked = validateDefinition(def);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const events: EngineEvent[] = [];
  const outcome = await executeWorkflow({ definition: checked.definition, inputs, signal, emit: (e) => void events.push(e), ports: testPorts() });
  return { outcome, events };
}

describe("map step", () => {
  it("runs nested steps per item and keeps the results in item order", async () => {
    const def = mapWorkflow({
      concurrency: 3,
      steps: [
        // Later items finish first, so order must come from the index, not completion.
        { id: "wait", kind: "delay", config: { ms: 1 } },
        { id: "shout", kind: "code", config: { code: "await 0; console.log('item', index); return item.toUpperCase() + inputs.suffix;" } },
        { id: "pair", kind: "template", config: { template: "{{ index }}:{{ steps.shout.output }} (from {{ steps.source.output[0] }})" } },
      ],
    });
    const { outcome, events } = await run(def, { words: ["ada", "bob", "cy", "dee", "eve"], suffix: "!" });
    expect(outcome.status).toBe("succeeded");
    expect(outcome.outputs?.out).toEqual({
      results: ["0:ADA! (from ada)", "1:BOB! (from ada)", "2:CY! (from ada)", "3:DEE! (from ada)", "4:EVE! (from ada)"],
      count: 5,
      failed: 0,
    });
    const logs = events.filter((e) => e.type === "log" && e.step_id === "each").map((e) => (e as { message: string }).message);
    expect(logs).toContain("[item 3 · shout] item 3");
    const progress = events.filter((e) => e.type === "progress" && e.step_id === "each");
    expect(progress.at(-1)).toMatchObject({ fraction: 1 });
    // Inner steps do not show up as steps of the run.
    expect(events.some((e) => e.type === "step_started" && e.step_id === "shout")).toBe(false);
  });

  it("shapes each result with `output` and limits concurrency", async () => {
    const def = mapWorkflow({
      concurrency: 2,
      output: "{{ steps.slow.output.waited_ms }}",
      steps: [{ id: "slow", kind: "delay", config: { ms: 60 } }],
    });
    const t0 = performance.now();
    const { outcome } = await run(def, { words: ["a", "b", "c", "d"] });
    const elapsed = performance.now() - t0;
    expect(outcome.status).toBe("succeeded");
    const results = (outcome.outputs?.out as { results: number[] }).results;
    expect(results).toHaveLength(4);
    for (const r of results) expect(r).toBeGreaterThanOrEqual(55);
    // 4 items × 60 ms, 2 at a time ≈ 120 ms; all at once would be ≈ 60 ms.
    expect(elapsed).toBeGreaterThanOrEqual(115);
  });

  it("fails on the first failing item, naming it, or skips it when asked", async () => {
    const steps = [{ id: "check", kind: "code", config: { code: "if (item === 'bad') throw new Error('no bad words'); return item;" } }];
    const failing = await run(mapWorkflow({ steps, concurrency: 1 }), { words: ["ok", "bad", "fine"] });
    expect(failing.outcome.status).toBe("failed");
    expect(failing.outcome.error).toMatchObject({ code: "map_item_failed", step_id: "each" });
    expect(failing.outcome.error?.message).toMatch(/Item 1 failed at step 'check': .*no bad words/);

    const skipping = await run(mapWorkflow({ steps, on_item_error: "skip" }), { words: ["ok", "bad", "fine"] });
    expect(skipping.outcome.status).toBe("succeeded");
    expect(skipping.outcome.outputs?.out).toEqual({ results: ["ok", null, "fine"], count: 3, failed: 1 });
  });

  it("refuses items that are not a list", async () => {
    const { outcome } = await run(mapWorkflow({ steps: [{ id: "x", kind: "template", config: { template: "{{ item }}" } }] }), { words: { a: 1 } });
    expect(outcome.error).toMatchObject({ code: "map_error" });
    expect(outcome.error?.message).toMatch(/must resolve to a list, got object/);
  });

  it("stops every item promptly when the run is cancelled", async () => {
    const controller = new AbortController();
    const def = mapWorkflow({ concurrency: 4, steps: [{ id: "long", kind: "delay", config: { ms: 30_000 } }] });
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    const { outcome } = await run(def, { words: ["a", "b", "c", "d", "e", "f"] }, controller.signal);
    expect(outcome.status).toBe("cancelled");
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("validates the nested steps at publish, with paths into the document", () => {
    const result = validateDefinition(
      mapWorkflow({
        steps: [
          { id: "a", kind: "nope", config: {} },
          { id: "b", kind: "template", config: { template: "{{ steps.ghost.output }}" } },
          { id: "source", kind: "template", config: { template: "clash" } },
          { id: "c", kind: "template", if: "{{ bogus.x }}", config: { template: "{{ inputs.missing }}" } },
        ],
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byMessage = Object.fromEntries(result.errors.map((e) => [e.message, e.path]));
    expect(Object.keys(byMessage).join("\n")).toMatch(/Unknown step kind 'nope'/);
    expect(byMessage["Step 'b' refers to unknown step 'ghost'"]).toEqual(["steps", 1, "config", "steps", 1]);
    expect(byMessage["Step id 'source' is already used outside this map"]).toEqual(["steps", 1, "config", "steps", 2, "id"]);
    expect(Object.keys(byMessage).join("\n")).toMatch(/Unknown input 'missing'/);
    expect(Object.keys(byMessage).join("\n")).toMatch(/'\{\{ bogus\.x \}\}' must start with inputs\., steps\., run\., item\. or index\./);
  });

  it("allows item and index only inside a map", () => {
    const outside = validateDefinition({ steps: [{ id: "a", kind: "template", if: "{{ item.x }}", config: { template: "" } }] });
    expect(outside.ok).toBe(false);
  });

  it("counts the tokens of nested steps toward the run", async () => {
    const { outcome } = await run(
      mapWorkflow({ steps: [{ id: "t", kind: "template", config: { template: "{{ item }}" } }] }),
      { words: ["a", "b"] },
    );
    expect(outcome.totalTokens).toBe(0);
    expect(outcome.status).toBe("succeeded");
  });
});
