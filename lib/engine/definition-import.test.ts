import { describe, expect, it } from "vitest";
import { importDefinition, parseDefinitionText } from "./definition-import";

const yamlDoc = `
inputs:
  - name: who
    type: text
steps:
  - id: hello
    kind: template
    config:
      template: "Hi {{ inputs.who }}"
outputs:
  text: "{{ steps.hello.output }}"
`;

describe("definition import", () => {
  it("reads YAML and JSON into the same definition", () => {
    const fromYaml = importDefinition(yamlDoc);
    expect(fromYaml.ok).toBe(true);
    if (!fromYaml.ok) return;
    const fromJson = importDefinition(JSON.stringify(fromYaml.definition));
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml.definition.steps[0]).toMatchObject({ id: "hello", kind: "template" });
  });

  it("reports syntax errors with their line", () => {
    const result = parseDefinitionText("steps:\n  - id: a\n    kind: [unclosed\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0].message).toMatch(/^Line \d+, column \d+/);
    const json = parseDefinitionText('{"steps": [}');
    expect(json.ok).toBe(false);
  });

  it("refuses duplicate keys, empty text and alias bombs", () => {
    expect(parseDefinitionText("a: 1\na: 2\n").ok).toBe(false);
    expect(parseDefinitionText("  \n").ok).toBe(false);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    expect(parseDefinitionText(bomb.join("\n")).ok).toBe(false);
  });

  it("passes validation errors through as a list", () => {
    const result = importDefinition("steps:\n  - id: a\n    kind: nope\n    config: {}\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.message).join("\n")).toMatch(/Unknown step kind 'nope'/);
  });
});
