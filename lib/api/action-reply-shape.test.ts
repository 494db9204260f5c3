/**
 * The reply check (action-reply-shape.ts) against React's own client encoder: whatever the
 * browser sends for the arguments our actions take passes; references React would fail on, or
 * that name kinds no action takes, are refused with a reason.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formActionProblem, MAX_ARRAY_SLOTS, MAX_REPLY_DEPTH, replyArgumentsProblem, replyFormProblem } from "./action-reply-shape";

// The encoder Next.js's browser bundle calls for a server action's arguments.
const { encodeReply } = createRequire(import.meta.url)("next/dist/compiled/react-server-dom-turbopack/client.edge") as {
  encodeReply: (value: unknown) => Promise<string | FormData>;
};
const problemOf = (body: string | FormData) => (typeof body === "string" ? replyArgumentsProblem(body) : replyFormProblem(body));
const form = (...entries: [string, string | Blob][]) => {
  const f = new FormData();
  for (const [name, value] of entries) f.append(name, value);
  return f;
};

describe("what React's client encodes passes", () => {
  it("the arguments our actions take: objects, strings that start with $, undefined, dates, bigints, odd numbers", async () => {
    const shared = { a: [1, { b: "$x" }] };
    const args = [
      { workspace: "demo", inputs: { x: shared, y: shared, list: [shared, [shared]] } },
      undefined, new Date(0), 12n, -12n, "$weird", "$$", "$", -0, NaN, Infinity, -Infinity, null, [[[]]],
    ];
    const body = await encodeReply(args);
    expect(typeof body).toBe("string");
    expect(body).toContain('"$0:0:inputs:x"'); // the shared object, written once and referred to
    expect(problemOf(body)).toBeNull();
  });

  it("a form with a file, alone and beside other arguments", async () => {
    const f = new FormData();
    f.set("name", "x");
    f.set("file", new Blob(["hello"]), "hello.txt");
    for (const args of [[f], [null, f], [{ prev: "state" }, f, f]]) {
      const body = await encodeReply(args);
      expect(body).toBeInstanceOf(FormData);
      expect(problemOf(body)).toBeNull();
    }
  });

  it("generated JSON arguments, with objects shared between places", async () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined), fc.date({ noInvalidDate: true }), fc.bigInt(), fc.string().map((s) => `$${s}`),
        fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(fc.string(), tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 4 }), fc.boolean(), async (args, share) => {
        // The same object in two places makes the encoder write a path reference.
        const list = share && args.length > 0 ? [...args, args[0], { again: args[0] }] : args;
        expect(problemOf(await encodeReply(list))).toBeNull();
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("what React would fail on, or our actions do not take, is refused", () => {
  it.each([
    ['["$Q1"]', /kind of React value/], ['["$W1"]', /kind of React value/], ['["$1"]', /row 1/], ['["$1:a"]', /row 1/], ['["$"]', /not a reference/], ['["$zz"]', /not a reference/], ['["$F1"]', /row 241/],
    ['["$h1"]', /kind of React value/], ['["$@0"]', /kind of React value/], ['["$B1"]', /kind of React value/],
    ['["$R0"]', /kind of React value/], ['["$T"]', /kind of React value/], ['["$A1"]', /kind of React value/],
    ['["$n12x"]', /bigint/], ['["$n-"]', /bigint/], [`["$n${"9".repeat(301)}"]`, /bigint/],
    ['["$0:zz"]', /path/], ['["$0:constructor"]', /path/], ['[{"a":"$0:0:a:b"}]', /path/], ['["$0:0:0:0"]', /path/],
    ['{"a":1}', /JSON array/], ["[1,", /JSON array/],
  ])("%s", (body, reason) => {
    expect(replyArgumentsProblem(body)).toMatch(reason);
  });

  it("nesting deeper than React's stack allows, in one row or across rows", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(replyArgumentsProblem(`[${deep(MAX_REPLY_DEPTH - 2)}]`)).toBeNull();
    expect(replyArgumentsProblem(`[${deep(MAX_REPLY_DEPTH + 1)}]`)).toMatch(/nest/);
    const half = Math.floor(MAX_REPLY_DEPTH / 2) + 10;
    const nestedRef = (n: number, ref: string) => "[".repeat(n) + JSON.stringify(ref) + "]".repeat(n);
    expect(replyFormProblem(form(["1", nestedRef(half, "x")], ["0", nestedRef(half, "$1")]))).toMatch(/nest/);
  });

  it("more array slots than React decodes: long strings in arrays, references to arrays that multiply them", () => {
    const text = "x".repeat(MAX_ARRAY_SLOTS / 2);
    expect(replyArgumentsProblem(JSON.stringify([text]))).toBeNull();
    expect(replyArgumentsProblem(JSON.stringify([text, text]))).toMatch(/array slots/);
    // The same length in an object is no array slot (React counts only inside arrays).
    expect(replyArgumentsProblem(JSON.stringify([{ a: text, b: text }]))).toBeNull();
    // Each reference to an array may add everything counted so far.
    const refs = (n: number) => JSON.stringify([[1, 2, 3], ...Array.from({ length: n }, () => "$0:0")]);
    expect(replyArgumentsProblem(refs(3))).toBeNull();
    expect(replyArgumentsProblem(refs(19))).toMatch(/array slots/);
    expect(replyArgumentsProblem(JSON.stringify([{ a: [1] }, { b: "$0:0:a" }, { c: "$0:0:a" }]))).toBeNull(); // in objects: not counted
    expect(replyArgumentsProblem(JSON.stringify([text.slice(1000), "$0:0", "$0:0"]))).toMatch(/array slots/); // string references add their length
  });

  it("a multipart reply: rows must come before the arguments, be JSON text, and be given once", () => {
    expect(replyFormProblem(form(["1", '{"workspace":"demo"}'], ["0", '["$1", "$1:workspace"]']))).toBeNull();
    expect(replyFormProblem(form(["0", '["$1"]'], ["1", '{"workspace":"demo"}']))).toMatch(/row 1/);
    expect(replyFormProblem(form(["1", "not json"], ["0", '["$1"]']))).toMatch(/not JSON/);
    expect(replyFormProblem(form(["1", new Blob(["x"])], ["0", '["$1"]']))).toMatch(/row 1/);
    expect(replyFormProblem(form(["1", "{}"], ["1", "{}"], ["0", "[]"]))).toMatch(/twice/);
    expect(replyFormProblem(form(["0", "[]"], ["0", "[]"]))).toMatch(/once/);
    expect(replyFormProblem(form(["_1_name", "x"]))).toMatch(/field "0"/);
    expect(replyFormProblem(form(["0", new Blob(["[]"])]))).toMatch(/field "0"/);
  });
});

describe("a form posted without JavaScript", () => {
  const ref = (meta: unknown, ...rows: [string, string][]) =>
    form(["$ACTION_REF_1", ""], ["$ACTION_1:0", typeof meta === "string" ? meta : JSON.stringify(meta)], ...rows.map(([n, v]) => [`$ACTION_1:${n}`, v] as [string, string]), ["email", "a@b.c"]);

  it("as React renders a useActionState form, a plain action id, or no action fields: passes", () => {
    expect(formActionProblem(ref({ id: "60e8", bound: "$@1" }, ["1", "[null]"]))).toBeNull();
    expect(formActionProblem(ref({ id: "60e8", bound: null }))).toBeNull();
    expect(formActionProblem(ref({ id: "60e8", bound: [1, "$$x"] }))).toBeNull();
    expect(formActionProblem(form(["$ACTION_ID_60e8", ""], ["email", "x"]))).toBeNull();
    expect(formActionProblem(form(["email", "x"]))).toBeNull();
  });

  it.each([
    [ref({ id: "60e8", bound: "$@1" }), /row the form does not hold/],
    [ref({ id: "60e8", bound: "$@1" }, ["1", '["$Q1"]']), /bound argument "\$Q1"/],
    [ref({ id: "60e8", bound: "$@1" }, ["1", "not json"]), /bound arguments must be a JSON array/],
    [ref({ id: "60e8", bound: "x" }), /null, an array/],
    [ref({ bound: null }), /name an action/],
    [ref("junk"), /must be JSON/],
  ])("refused: %#", (body, reason) => {
    expect(formActionProblem(body)).toMatch(reason);
  });
});
