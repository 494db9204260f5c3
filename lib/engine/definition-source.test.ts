import { describe, expect, it } from "vitest";
import { validateDefinition } from "./definition";
import { checkDefinitionText, compactDefinition, definitionToText, lineLocator, splitWorkflowFile } from "./definition-source";

const GOOD = `inputs:
  - name: who
    type: text
steps:
  - id: hello
    kind: template
    config:
      template: "Hello, {{ inputs.who }}"
  - id: shout
    kind: template
    timeout_ms: 5000
    config:
      template: "{{ steps.hello.output }}!"
outputs:
  text: "{{ steps.shout.output }}"
`;

describe("checkDefinitionText", () => {
  it("accepts a good YAML definition", () => {
    const result = checkDefinitionText(GOOD);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.definition.steps.map((s) => s.id)).toEqual(["hello", "shout"]);
  });

  it("puts an unknown kind and a missing step reference on their lines", () => {
    const bad = GOOD.replace("kind: template", "kind: templat").replace("steps.hello.output", "steps.helo.output");
    const result = checkDefinitionText(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const kind = result.errors.find((e) => e.message.includes("Unknown step kind 'templat'"));
    expect(kind).toMatchObject({ path: ["steps", 0, "kind"], line: 6 });
    const ref = result.errors.find((e) => e.message.includes("unknown step 'helo'"));
    // The step as a whole: the line of its first key.
    expect(ref).toMatchObject({ path: ["steps", 1], line: 9 });
  });

  it("places problems in JSON text too", () => {
    const json = JSON.stringify({ steps: [{ id: "a", kind: "template", config: { template: 3 } }] }, null, 2);
    const result = checkDefinitionText(json);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].path).toEqual(["steps", 0, "config", "template"]);
    expect(json.split("\n")[result.errors[0].line! - 1]).toContain('"template": 3');
  });

  it("gives syntax errors the line the parser reports", () => {
    const result = checkDefinitionText("steps:\n  - id: a\n    kind: [template\n");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0].line).toBeGreaterThanOrEqual(3);
      expect(result.errors[0].message).toMatch(/^Line \d+, column \d+:/);
    }
  });

  it("has no line for an empty document", () => {
    const result = checkDefinitionText("  \n");
    expect(result).toEqual({ ok: false, errors: [{ path: [], message: "The definition is empty", line: null }] });
  });
});

describe("lineLocator", () => {
  it("stops at the deepest part of a path that exists", () => {
    const locate = lineLocator(GOOD);
    expect(locate(["steps", 1, "config", "missing"])).toBe(12);
    expect(locate(["steps", 1, "config", "template"])).toBe(13);
    expect(locate(["outputs", "text"])).toBe(15);
    expect(locate(["nothing"])).toBe(1);
    expect(locate([])).toBe(1);
  });
});

describe("definitionToText", () => {
  const stored = (() => {
    const result = validateDefinition({
      inputs: [{ name: "who", type: "text" }, { name: "n", type: "number", required: false }],
      steps: [
        { config: { template: "line one\nline two" }, kind: "template", id: "a" },
        { id: "b", kind: "template", retries: 2, config: { template: "{{ steps.a.output }} — a long line that must stay on one line however long it gets, no folding at all" } },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.definition;
  })();

  it("leaves out defaults and keeps the author's non-default values", () => {
    const compact = compactDefinition(stored) as { inputs: Record<string, unknown>[]; steps: Record<string, unknown>[] };
    expect(compact.inputs[0]).toEqual({ name: "who", type: "text" });
    expect(compact.inputs[1]).toEqual({ name: "n", type: "number", required: false });
    expect(Object.keys(compact.steps[0])).toEqual(["id", "kind", "config"]);
    expect(compact.steps[1]).toMatchObject({ retries: 2 });
    expect(compact).not.toHaveProperty("outputs");
  });

  it("writes YAML and JSON that read back as the same definition", () => {
    for (const format of ["yaml", "json"] as const) {
      const text = definitionToText(stored, format);
      const again = checkDefinitionText(text);
      expect(again.ok).toBe(true);
      if (again.ok) expect(again.definition).toEqual(stored);
    }
    const yaml = definitionToText(stored, "yaml");
    expect(yaml).toContain("template: |-\n        line one\n        line two");
    expect(yaml.split("\n").find((l) => l.includes("a long line"))).toContain("no folding at all");
  });
});

describe("splitWorkflowFile", () => {
  it("takes name, title and description off a workflow file with the definition at the top level", () => {
    const file = `name: hello-file\ntitle: Hello file\nlabels: [production]\n${GOOD}`;
    const { meta, definitionText } = splitWorkflowFile(file);
    expect(meta).toEqual({ name: "hello-file", title: "Hello file" });
    expect(definitionText).not.toContain("hello-file");
    expect(definitionText).not.toContain("labels");
    const check = checkDefinitionText(definitionText);
    expect(check.ok).toBe(true);
  });

  it("reads a definition nested under `definition`, keeping JSON as JSON", () => {
    const file = JSON.stringify({ name: "n", description: "d", definition: { steps: [{ id: "a", kind: "template", config: { template: "x" } }] } });
    const { meta, definitionText } = splitWorkflowFile(file);
    expect(meta).toEqual({ name: "n", description: "d" });
    expect(JSON.parse(definitionText)).toEqual({ steps: [{ id: "a", kind: "template", config: { template: "x" } }] });
  });

  it("returns a bare definition, and text that does not parse, unchanged", () => {
    expect(splitWorkflowFile(GOOD)).toEqual({ meta: {}, definitionText: GOOD });
    expect(splitWorkflowFile("steps: [")).toEqual({ meta: {}, definitionText: "steps: [" });
  });
});
