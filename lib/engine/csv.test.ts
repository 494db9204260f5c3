import { describe, expect, it } from "vitest";
import { CsvError, csvToRows, parseCsv } from "./csv";

describe("parseCsv", () => {
  it("parses quoted fields, escaped quotes and embedded line ends", () => {
    const text = 'name,quote\r\n"Lovelace, Ada","She said ""hi"""\r\n"multi\nline",plain\r\n';
    expect(parseCsv(text)).toEqual([
      ["name", "quote"],
      ["Lovelace, Ada", 'She said "hi"'],
      ["multi\nline", "plain"],
    ]);
  });

  it("handles LF, CR, a missing final newline, empty fields and blank lines", () => {
    expect(parseCsv("a,b\n1,\n\n,2")).toEqual([["a", "b"], ["1", ""], ["", "2"]]);
    expect(parseCsv("a\rb\r")).toEqual([["a"], ["b"]]);
    expect(parseCsv("")).toEqual([]);
  });

  it("rejects an unterminated quote", () => {
    expect(() => parseCsv('a\n"open,1\n2')).toThrow(CsvError);
    expect(() => parseCsv('a\n"open,1\n2')).toThrow(/line 2/);
  });
});

describe("csvToRows", () => {
  it("uses the first row as header, fills missing cells, names blank and duplicate columns", () => {
    const { columns, rows } = csvToRows("id,name,,name\n1,Ada\n2,Grace,x,y\n");
    expect(columns).toEqual(["id", "name", "column_3", "name_2"]);
    expect(rows).toEqual([
      { id: "1", name: "Ada", column_3: "", name_2: "" },
      { id: "2", name: "Grace", column_3: "x", name_2: "y" },
    ]);
  });
});
