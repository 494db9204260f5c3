import { describe, expect, it } from "vitest";
import { workflowDefinitionSchema, type InputSpec } from "./definition";
import { validateInputs } from "./inputs";

/** Specs as validateDefinition would store them (defaults applied). */
function specs(raw: unknown[]): InputSpec[] {
  return workflowDefinitionSchema.parse({ inputs: raw, steps: [{ id: "s", kind: "template", config: { template: "" } }] }).inputs;
}

const file = (over: Partial<{ id: string; name: string; size: number; mime_type: string }> = {}) => ({
  id: "f1", name: "notes.txt", size: 100, mime_type: "text/plain", ...over,
});

function errorsOf(result: ReturnType<typeof validateInputs>) {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.inputs)}`);
  return result.errors;
}

describe("validateInputs", () => {
  it("accepts each type and coerces form strings", () => {
    const s = specs([
      { name: "name", type: "text" },
      { name: "count", type: "number", min: 1, max: 10 },
      { name: "loud", type: "boolean" },
      { name: "off", type: "boolean" },
      { name: "tone", type: "select", options: ["plain", "formal"] },
      { name: "settings", type: "json" },
      { name: "doc", type: "file" },
      { name: "docs", type: "file_list" },
    ]);
    const result = validateInputs(s, {
      name: "Ada", count: "3", loud: "on", off: "false", tone: "formal", settings: '{"a":[1,2]}', doc: file(), docs: [file(), file({ id: "f2" })],
    });
    expect(result).toEqual({
      ok: true,
      warnings: [],
      inputs: {
        name: "Ada", count: 3, loud: true, off: false, tone: "formal", settings: { a: [1, 2] }, doc: file(), docs: [file(), file({ id: "f2" })],
      },
    });
  });

  it("keeps JSON values that are not strings and accepts a real boolean and number", () => {
    const s = specs([{ name: "j", type: "json" }, { name: "n", type: "number" }, { name: "b", type: "boolean" }]);
    expect(validateInputs(s, { j: [1, { x: null }], n: 2.5, b: false })).toMatchObject({ ok: true, inputs: { j: [1, { x: null }], n: 2.5, b: false } });
  });

  it("applies defaults and reports missing required inputs", () => {
    const s = specs([
      { name: "name", type: "text", default: "World" },
      { name: "count", type: "number" },
      { name: "notes", type: "text", required: false },
    ]);
    expect(validateInputs(s, {})).toEqual({
      ok: false,
      errors: [{ loc: ["inputs", "count"], msg: "Required", type: "missing" }],
    });
    expect(validateInputs(s, { count: 1, name: "" })).toEqual({ ok: true, inputs: { name: "World", count: 1 }, warnings: [] });
  });

  it("reports type and value errors with readable messages", () => {
    const s = specs([
      { name: "count", type: "number", min: 1, max: 10 },
      { name: "big", type: "number", max: 5 },
      { name: "flag", type: "boolean" },
      { name: "tone", type: "select", options: ["plain", "formal"] },
      { name: "settings", type: "json" },
      { name: "title", type: "text" },
    ]);
    const errors = errorsOf(validateInputs(s, { count: "abc", big: "7", flag: "maybe", tone: "loud", settings: "{bad", title: 5 }));
    expect(errors).toEqual([
      { loc: ["inputs", "count"], msg: "count: must be a number", type: "type_error" },
      { loc: ["inputs", "big"], msg: "big: must be at most 5", type: "value_error" },
      { loc: ["inputs", "flag"], msg: "flag: must be true or false", type: "type_error" },
      { loc: ["inputs", "tone"], msg: "tone: must be one of 'plain', 'formal'", type: "value_error" },
      { loc: ["inputs", "settings"], msg: "settings: must be valid JSON", type: "value_error" },
      { loc: ["inputs", "title"], msg: "title: must be text", type: "type_error" },
    ]);
  });

  it("drops unknown inputs with a warning", () => {
    const result = validateInputs(specs([{ name: "name", type: "text" }]), { name: "Ada", extra: 1 });
    expect(result).toEqual({ ok: true, inputs: { name: "Ada" }, warnings: ["Unknown input 'extra' was ignored"] });
  });

  it("checks file accept lists by mime type or extension, and max_size", () => {
    const s = specs([{ name: "document", type: "file", accept: [".txt", ".csv"], max_size: 1000 }]);
    expect(validateInputs(s, { document: file({ name: "a.CSV", mime_type: "application/octet-stream" }) }).ok).toBe(true);
    expect(errorsOf(validateInputs(s, { document: file({ name: "page.html", mime_type: "text/html" }) }))).toEqual([
      { loc: ["inputs", "document"], msg: "document: file type text/html of 'page.html' is not accepted (accepted: .txt, .csv)", type: "value_error" },
    ]);
    expect(errorsOf(validateInputs(s, { document: file({ size: 5000 }) }))[0].msg).toBe(
      "document: file 'notes.txt' is 4.9 KB, larger than the limit of 1000 bytes",
    );
    const byMime = specs([{ name: "img", type: "file", accept: ["image/*", "text/csv"] }]);
    expect(validateInputs(byMime, { img: file({ name: "x", mime_type: "image/png" }) }).ok).toBe(true);
    expect(validateInputs(byMime, { img: file({ name: "x", mime_type: "text/csv; charset=utf-8" }) }).ok).toBe(true);
    expect(errorsOf(validateInputs(byMime, { img: { id: "x" } }))[0]).toMatchObject({ type: "type_error" });
  });

  it("checks file lists item by item and max_files", () => {
    const s = specs([{ name: "files", type: "file_list", accept: [".txt"], max_files: 2 }]);
    expect(errorsOf(validateInputs(s, { files: [file(), file({ name: "x.exe" })] }))[0].loc).toEqual(["inputs", "files", 1]);
    expect(errorsOf(validateInputs(s, { files: [file(), file(), file()] }))[0].msg).toBe("files: at most 2 files allowed (got 3)");
    expect(validateInputs(s, { files: file() })).toMatchObject({ ok: true, inputs: { files: [file()] } });
    expect(errorsOf(validateInputs(s, { files: [] }))[0]).toMatchObject({ msg: "Required", type: "missing" });
  });

  it("rejects a non-object", () => {
    expect(errorsOf(validateInputs([], [1, 2]))[0]).toEqual({ loc: ["inputs"], msg: "Inputs must be an object", type: "type_error" });
  });
});
