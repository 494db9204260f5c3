import { describe, expect, it } from "vitest";
import { validateDefinition } from "./definition";
import { planWorkflow } from "./planner";

const greet = {
  inputs: [{ name: "name", type: "text", default: "World" }],
  steps: [
    { id: "greet", kind: "template", config: { template: "Hello, {{ inputs.name }}!" } },
    { id: "shout", kind: "code", config: { code: "return steps.greet.output.toUpperCase();" } },
    { id: "result", kind: "transform", config: { expression: "{ 'text': steps.shout.output }" } },
  ],
  outputs: { text: "{{ steps.result.output.text }}" },
};

function messages(raw: unknown): string[] {
  const result = validateDefinition(raw);
  if (result.ok) return [];
  return result.errors.map((e) => `${e.path.join(".")}: ${e.message}`);
}

describe("validateDefinition", () => {
  it("accepts a valid definition and applies defaults", () => {
    const result = validateDefinition(greet);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.definition.steps[0]).toMatchObject({ timeout_ms: 30000, retries: 0, retry_backoff_ms: 200 });
    expect(result.definition.inputs[0].required).toBe(true);
  });

  it("never throws, whatever it is given", () => {
    for (const raw of [undefined, null, 42, "x", [], { steps: "no" }, { steps: [null] }, { steps: [{ id: 1 }] }]) {
      expect(validateDefinition(raw).ok).toBe(false);
    }
  });

  it("reports unknown kinds and bad config", () => {
    const errors = messages({
      steps: [
        { id: "a", kind: "teleport", config: {} },
        { id: "b", kind: "template", config: { tpl: "x" } },
        { id: "c", kind: "code", config: { code: "return (", memory_mb: 1024 } },
        { id: "d", kind: "transform", config: { expression: "$sum(" } },
      ],
    });
    expect(errors[0]).toMatch(/^steps\.0\.kind: Unknown step kind 'teleport' \(known: template, code, transform, extract/);
    expect(errors).toContainEqual(expect.stringMatching(/^steps\.1\.config\.template: Step 'b':/));
    expect(errors).toContainEqual(expect.stringMatching(/^steps\.2\.config\.code: Step 'c': JavaScript syntax error/));
    expect(errors).toContainEqual(expect.stringMatching(/^steps\.2\.config\.memory_mb:/));
    expect(errors).toContainEqual(expect.stringMatching(/^steps\.3\.config\.expression: Step 'd': Invalid JSONata expression/));
  });

  it("reports missing step and input references everywhere", () => {
    const errors = messages({
      inputs: [{ name: "name", type: "text" }],
      steps: [
        { id: "a", kind: "template", config: { template: "{{ inputs.nmae }} {{ steps.ghost.output }}" } },
        { id: "b", kind: "code", needs: ["phantom"], config: { code: "return steps.spook.output" } },
        { id: "c", kind: "transform", if: "{{ inputs.flag }}", config: { expression: "steps.wraith.output" } },
      ],
      outputs: { x: "{{ steps.nobody.output }}", y: "{{ input.name }}" },
    });
    expect(errors).toEqual(expect.arrayContaining([
      "steps.0.config: Unknown input 'nmae' in '{{ inputs.nmae }}'",
      "steps.0: Step 'a' refers to unknown step 'ghost'",
      "steps.1.needs.0: Step 'b' needs unknown step 'phantom'",
      "steps.1: Step 'b' refers to unknown step 'spook'",
      "steps.2.if: Unknown input 'flag' in '{{ inputs.flag }}'",
      "steps.2: Step 'c' refers to unknown step 'wraith'",
      "outputs.x: Output 'x' refers to unknown step 'nobody'",
      "outputs.y: '{{ input.name }}' must start with inputs., steps. or run.",
    ]));
    expect(errors).toHaveLength(8);
  });

  it("reports a cycle with its path", () => {
    const errors = messages({
      steps: [
        { id: "a", kind: "template", config: { template: "{{ steps.c.output }}" } },
        { id: "b", kind: "template", config: { template: "{{ steps.a.output }}" } },
        { id: "c", kind: "code", needs: ["b"], config: { code: "return 1" } },
        { id: "d", kind: "template", config: { template: "free" } },
      ],
    });
    expect(errors).toEqual(["steps: Steps form a dependency cycle: a → b → c → a"]);
  });

  it("reports duplicate ids and names, shape errors and invalid defaults", () => {
    expect(messages({
      inputs: [
        { name: "x", type: "text" }, { name: "x", type: "number", default: "many" },
        { name: "s", type: "select" }, { name: "bad name", type: "text" },
      ],
      steps: [{ id: "a", kind: "template", config: { template: "" } }, { id: "a", kind: "template", config: { template: "" } }],
    })).toEqual([
      "inputs.2.options: a select input needs a list of options",
      "inputs.3.name: must start with a letter or _ and contain only letters, digits and _",
    ]);
    expect(messages({
      inputs: [{ name: "x", type: "text" }, { name: "x", type: "number", default: "many" }],
      steps: [{ id: "a", kind: "template", config: { template: "" } }, { id: "a", kind: "template", config: { template: "" } }],
    })).toEqual([
      "inputs.1.name: Duplicate input name 'x'",
      "inputs.1.default: Invalid default: x: must be a number",
      "steps.1.id: Duplicate step id 'a'",
    ]);
    expect(messages({ steps: [{ id: "a", kind: "template", retries: 9, config: { template: "" } }] })).toEqual([
      "steps.0.retries: Too big: expected number to be <=5",
    ]);
  });

  it("accepts hyphenated ids and code that subtracts from a step output", () => {
    expect(messages({
      steps: [
        { id: "load-data", kind: "template", config: { template: "1" } },
        { id: "x", kind: "code", config: { code: "const n = 1; return steps['load-data'].output + steps.x2.output-n" } },
        { id: "x2", kind: "template", config: { template: "{{ steps.load-data.output }}" } },
      ],
    })).toEqual([]);
  });
});

describe("planWorkflow", () => {
  it("orders steps by dependencies from needs, references and conditions", () => {
    const plan = planWorkflow({
      steps: [
        { id: "report", config: { template: "{{ steps.stats.output }}" } },
        { id: "stats", config: { code: "return steps.read.output" }, if: "{{ steps.flag.output }}" },
        { id: "read", config: {} },
        { id: "flag", needs: ["read"], config: {} },
      ],
    });
    expect(plan.cycle).toBeNull();
    expect(plan.order).toEqual(["read", "flag", "stats", "report"]);
    expect(plan.dependencies.stats.sort()).toEqual(["flag", "read"]);
    expect(plan.dependents.read.sort()).toEqual(["flag", "stats"]);
  });

  it("finds a self-reference as a cycle", () => {
    expect(planWorkflow({ steps: [{ id: "a", config: "{{ steps.a.output }}" }] }).cycle).toEqual(["a", "a"]);
  });
});
