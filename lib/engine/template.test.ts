import { describe, expect, it } from "vitest";
import { findReferences, isFalsyText, renderTemplate, resolveValueTemplate } from "./template";

const scope = {
  inputs: { name: "Ada", count: 3, tags: ["a", "b"], nothing: null },
  steps: {
    greet: { output: "Hello" },
    read: { output: { rows: [{ name: "first row" }, { name: "second" }], "odd key": 1 } },
    "my-step": { output: 7 },
  },
  run: { id: "run_1" },
};

describe("renderTemplate", () => {
  it("renders paths, indices and quoted keys", () => {
    expect(renderTemplate("Hello, {{ inputs.name }}!", scope)).toBe("Hello, Ada!");
    expect(renderTemplate("{{steps.read.output.rows[1].name}}", scope)).toBe("second");
    expect(renderTemplate('{{ steps.read.output["odd key"] }}', scope)).toBe("1");
    expect(renderTemplate("{{ steps.my-step.output }}", scope)).toBe("7");
    expect(renderTemplate("run {{ run.id }}", scope)).toBe("run run_1");
  });

  it("stringifies objects as JSON and undefined as empty", () => {
    expect(renderTemplate("{{ inputs.tags }}", scope)).toBe('["a","b"]');
    expect(renderTemplate("[{{ inputs.missing }}]", scope)).toBe("[]");
    expect(renderTemplate("[{{ inputs.name.nope.deeper }}]", scope)).toBe("[]");
    expect(renderTemplate("{{ inputs.nothing }}", scope)).toBe("null");
  });

  it("does not reach through prototypes", () => {
    expect(renderTemplate("[{{ inputs.constructor }}]", scope)).toBe("[]");
    expect(renderTemplate("[{{ inputs.__proto__ }}]", scope)).toBe("[]");
  });

  it("leaves non-path placeholders and plain text alone", () => {
    expect(renderTemplate("{{ 1 + 2 }} and {{}}", scope)).toBe("{{ 1 + 2 }} and {{}}");
    expect(renderTemplate("no placeholders", scope)).toBe("no placeholders");
  });
});

describe("resolveValueTemplate", () => {
  it("keeps the raw value of a lone placeholder", () => {
    expect(resolveValueTemplate("{{ inputs.count }}", scope)).toBe(3);
    expect(resolveValueTemplate("{{ steps.read.output.rows[0] }}", scope)).toEqual({ name: "first row" });
    expect(resolveValueTemplate("{{ inputs.count }} items", scope)).toBe("3 items");
    expect(resolveValueTemplate("{{ inputs.missing }}", scope)).toBeUndefined();
  });
});

describe("isFalsyText", () => {
  it("treats empty, false, 0, null, undefined as false", () => {
    for (const t of ["", " ", "false", "FALSE", "0", "null", "undefined"]) expect(isFalsyText(t)).toBe(true);
    for (const t of ["true", "1", "yes", "x"]) expect(isFalsyText(t)).toBe(false);
  });
});

describe("findReferences", () => {
  it("finds steps and inputs in templates, code and JSONata", () => {
    const refs = findReferences(
      "{{ steps.a.output }} const x = steps.b.output + inputs.name; steps['c-d'].output; $count(steps.e.output) $steps.f.output inputs[\"q\"]",
    );
    expect([...refs.steps].sort()).toEqual(["a", "b", "c-d", "e", "f"]);
    expect([...refs.inputs].sort()).toEqual(["name", "q"]);
  });

  it("ignores member accesses named steps", () => {
    expect(findReferences("obj.steps.push(1); mysteps.x").steps.size).toBe(0);
  });
});
