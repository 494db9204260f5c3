import { describe, expect, it } from "vitest";
import { validateDefinition } from "../definition";
import type { EngineEvent } from "../events";
import { executeWorkflow } from "../run-workflow";
import { testPorts } from "../test-ports";

const routing = {
  inputs: [{ name: "words", type: "number" }],
  steps: [
    {
      id: "route", kind: "branch",
      config: {
        cases: [
          { name: "long", when: "inputs.words > 500", steps: ["summarise"] },
          { name: "medium", when: "inputs.words > 50", steps: ["trim"] },
        ],
        else: ["keep"],
      },
    },
    { id: "summarise", kind: "template", config: { template: "summary of {{ inputs.words }}" } },
    { id: "trim", kind: "template", config: { template: "trimmed {{ inputs.words }}" } },
    { id: "keep", kind: "template", config: { template: "kept {{ inputs.words }}" } },
    { id: "after_trim", kind: "template", config: { template: "then {{ steps.trim.output }}" } },
    {
      id: "join", kind: "template", join: "any",
      config: { template: "{{ steps.summarise.output }}{{ steps.trim.output }}{{ steps.keep.output }}" },
    },
  ],
  outputs: { result: "{{ steps.join.output }}", path: "{{ steps.route.output.path }}" },
};

async function run(words: number) {
  const checked = validateDefinition(routing);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const events: EngineEvent[] = [];
  const outcome = await executeWorkflow({ definition: checked.definition, inputs: { words }, emit: (e) => void events.push(e), ports: testPorts() });
  const finished = Object.fromEntries(
    events.flatMap((e) => (e.type === "step_finished" ? [[e.step_id, { status: e.status, reason: e.reason }]] : [])),
  );
  return { outcome, finished };
}

describe("branch step", () => {
  it("takes the first case that holds and skips the other paths and what hangs off them", async () => {
    const { outcome, finished } = await run(120);
    expect(outcome.status).toBe("succeeded");
    expect(outcome.outputs).toEqual({ result: "trimmed 120", path: "medium" });
    expect(finished.trim.status).toBe("succeeded");
    expect(finished.after_trim.status).toBe("succeeded");
    expect(finished.summarise).toEqual({ status: "skipped", reason: "branch 'route' took medium" });
    expect(finished.keep.status).toBe("skipped");
    expect(finished.join.status).toBe("succeeded");
  });

  it("falls through to else, and a skipped dependency skips the steps after it", async () => {
    const { outcome, finished } = await run(3);
    expect(outcome.outputs).toEqual({ result: "kept 3", path: "else" });
    expect(finished.after_trim).toEqual({ status: "skipped", reason: "'trim' was skipped" });
    expect(finished.keep.status).toBe("succeeded");
  });

  it("accepts template conditions too", async () => {
    const def = {
      inputs: [{ name: "flag", type: "boolean", required: false }],
      steps: [
        { id: "b", kind: "branch", config: { cases: [{ when: "{{ inputs.flag }}", steps: ["yes"] }], else: ["no"] } },
        { id: "yes", kind: "template", config: { template: "yes" } },
        { id: "no", kind: "template", config: { template: "no" } },
      ],
      outputs: { answer: "{{ steps.yes.output }}{{ steps.no.output }}" },
    };
    const checked = validateDefinition(def);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    for (const [flag, answer] of [[true, "yes"], [false, "no"]] as const) {
      const outcome = await executeWorkflow({ definition: checked.definition, inputs: { flag }, emit: () => {}, ports: testPorts() });
      expect(outcome.outputs).toEqual({ answer });
    }
  });

  it("is checked at publish: unknown steps, a step on two paths, bad expressions, self-gating", () => {
    const result = validateDefinition({
      steps: [
        { id: "b", kind: "branch", config: { cases: [{ when: "1 >", steps: ["x", "b"] }, { when: "true", steps: ["x"] }], else: ["ghost"] } },
        { id: "x", kind: "template", config: { template: "x" } },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const messages = result.errors.map((e) => e.message).join("\n");
    expect(messages).toMatch(/Invalid JSONata expression/);
    expect(messages).toMatch(/Step 'x' is on two paths/);
  });

  it("reports unknown gated steps and self-gating", () => {
    const result = validateDefinition({
      steps: [{ id: "b", kind: "branch", config: { cases: [{ when: "true", steps: ["b"] }], else: ["ghost"] } }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const messages = result.errors.map((e) => e.message);
    expect(messages).toContain("Branch 'b' cannot gate itself");
    expect(messages).toContain("Branch 'b' names unknown step 'ghost'");
  });

  it("resumes with the branch already decided: the skipped path stays skipped", async () => {
    const checked = validateDefinition(routing);
    if (!checked.ok) throw new Error("invalid");
    const events: EngineEvent[] = [];
    const outcome = await executeWorkflow({
      definition: checked.definition, inputs: { words: 900 }, emit: (e) => void events.push(e), ports: testPorts(),
      completed: { route: { output: { path: "medium", taken: ["trim"], skipped: ["summarise", "keep"] } } },
    });
    expect(outcome.outputs).toEqual({ result: "trimmed 900", path: "medium" });
    expect(events.some((e) => e.type === "step_started" && e.step_id === "route")).toBe(false);
  });
});

describe("step conditions", () => {
  it("evaluates JSONata conditions and reports why a step was skipped", async () => {
    const checked = validateDefinition({
      inputs: [{ name: "n", type: "number" }],
      steps: [
        { id: "big", kind: "template", if: "inputs.n >= 10 and inputs.n % 2 = 0", config: { template: "big even" } },
        { id: "bad", kind: "template", if: "$number('x') + 1", config: { template: "never" } },
      ],
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const events: EngineEvent[] = [];
    const outcome = await executeWorkflow({ definition: checked.definition, inputs: { n: 7 }, emit: (e) => void events.push(e), ports: testPorts() });
    const big = events.find((e) => e.type === "step_finished" && e.step_id === "big");
    expect(big).toMatchObject({ status: "skipped", reason: "its condition was false" });
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "condition_error", step_id: "bad" });
  });

  it("refuses a condition that does not parse", () => {
    const result = validateDefinition({ steps: [{ id: "a", kind: "template", if: "inputs.(", config: { template: "" } }] });
    expect(result.ok).toBe(false);
  });
});
