import { describe, expect, it } from "vitest";
import { testPorts } from "../test-ports";
import { workflowDefinitionSchema } from "../definition";
import { executeWorkflow } from "../run-workflow";

async function transform(expression: string, inputs: Record<string, unknown> = {}, step: Record<string, unknown> = {}) {
  const definition = workflowDefinitionSchema.parse({
    inputs: [{ name: "items", type: "json", required: false }],
    steps: [
      { id: "base", kind: "template", config: { template: "{{ inputs.items }}" } },
      { id: "t", kind: "transform", ...step, config: { expression } },
    ],
    outputs: { out: "{{ steps.t.output }}" },
  });
  return executeWorkflow({ definition, inputs, emit: () => {}, ports: testPorts() });
}

describe("transform step", () => {
  it("evaluates JSONata over inputs and step outputs, returning plain JSON", async () => {
    const outcome = await transform("{ 'total': $sum(steps.base.output.n), 'names': inputs.items.name, 'none': inputs.nothing }", {
      items: [{ name: "a", n: 1 }, { name: "b", n: 2 }],
    });
    expect(outcome.outputs?.out).toEqual({ total: 3, names: ["a", "b"] });
    expect(JSON.stringify(outcome.outputs)).toBe('{"out":{"total":3,"names":["a","b"]}}');
  });

  it("binds $inputs and $steps for use inside mapped contexts", async () => {
    const outcome = await transform("[1..2].($string($) & $inputs.items[0].name & $count($steps.base.output))", { items: [{ name: "x" }] });
    expect(outcome.outputs?.out).toEqual(["1x1", "2x1"]);
  });

  it("returns null when nothing matches", async () => {
    expect((await transform("inputs.nothing")).outputs).toEqual({ out: null });
  });

  it("reports evaluation errors as transform_error", async () => {
    const outcome = await transform("$number('abc') + $undefinedFunction()");
    expect(outcome.error).toMatchObject({ code: "transform_error", step_id: "t" });
  });

  it("stops a runaway expression at the step's time limit", async () => {
    const t0 = performance.now();
    const outcome = await transform("$sum([1..1000000].($ * 2))", {}, { timeout_ms: 50 });
    expect(outcome.error).toMatchObject({ code: "timeout", step_id: "t" });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
