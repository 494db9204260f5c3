/**
 * Sandbox escapes: what a workspace member's own code and expressions can reach. Code steps
 * run in QuickJS (WebAssembly) inside worker threads (lib/engine/sandbox); JSONata
 * expressions (transform steps, conditions) and templates run in the server process.
 *
 * lib/engine/steps/code.test.ts already covers: no require/process/fetch/timers and the
 * globalThis.constructor trick, endless loops (timeout), memory bombs (memory_limit), deep
 * recursion, cancel mid-loop, and that spinning code does not block the host's event loop;
 * lib/engine/sandbox/pool.test.ts a worker that stops answering (killed and replaced). This
 * file adds the other ways out: every constructor chain and host-made function, dynamic
 * import, state or prototypes left for the next job (another workspace's), prototype
 * pollution carried to the host through outputs and inputs, code that would run at publish
 * time, catastrophic regexes and microtask loops, log floods, host paths in stack traces — and
 * for JSONata, which has no sandbox: the event loop, cancelling, `$pad` and prototype lookups;
 * and documents the server unpacks (a DOCX "zip bomb").
 */
import JSZip from "jszip";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_DOCX_UNPACKED_BYTES } from "../engine/extract/docx";
import { MAX_PAD_WIDTH } from "../engine/jsonata";
import { renderTemplate } from "../engine/template";
import { validateDefinition } from "../engine/definition";
import type { EngineEvent } from "../engine/events";
import { executeWorkflow } from "../engine/run-workflow";
import { shutdownSandboxPool } from "../engine/sandbox/pool";
import { testPorts } from "../engine/test-ports";

afterAll(() => shutdownSandboxPool());

const ports = testPorts();

async function runSteps(steps: unknown[], opts: { inputs?: unknown[]; values?: Record<string, unknown>; signal?: AbortSignal } = {}) {
  const checked = validateDefinition({ inputs: opts.inputs ?? [], steps, outputs: { out: `{{ steps.${(steps.at(-1) as { id: string }).id}.output }}` } });
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const events: EngineEvent[] = [];
  const t0 = performance.now();
  const outcome = await executeWorkflow({ definition: checked.definition, inputs: opts.values ?? {}, ports, emit: (e) => void events.push(e), signal: opts.signal });
  return { outcome, events, elapsed: performance.now() - t0 };
}

const code = (source: string, extra: Record<string, unknown> = {}) => runSteps([{ id: "c", kind: "code", ...extra, config: { code: source } }]);

/** Counts how often the host's event loop got a turn while `work` ran, and the longest wait. */
async function loopWhile<T>(work: () => Promise<T>): Promise<{ value: T; ticks: number; maxGapMs: number }> {
  let ticks = 0;
  let maxGapMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  try {
    const value = await work();
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { value, ticks, maxGapMs };
  } finally {
    clearInterval(timer);
  }
}

describe("code steps (QuickJS in worker threads)", () => {
  it("reach no host object by any constructor chain, host-made function or global", async () => {
    const probes = [
      "typeof require", "typeof process", "typeof module", "typeof exports", "typeof __dirname", "typeof Buffer",
      "typeof fetch", "typeof XMLHttpRequest", "typeof WebSocket", "typeof setTimeout", "typeof setInterval", "typeof setImmediate",
      "typeof std", "typeof os", "typeof Deno", "typeof Bun", "typeof WebAssembly", "typeof __flowdeck_log", "typeof __flowdeck_inputs",
      "globalThis.constructor.constructor('return typeof process')()",
      "this === undefined ? 'undefined' : typeof this.process",
      "Function('return typeof process')()",
      "eval('typeof process')",
      "(async function () {}).constructor('return typeof process')().constructor === Promise ? 'undefined' : 'escaped'",
      "Object.getPrototypeOf(function* () {}).constructor('return typeof process')().next().value",
      "console.log.constructor('return typeof process')()",
      "console.log.constructor.constructor('return typeof require')()",
      "inputs.constructor.constructor('return typeof process')()",
      "[].map.constructor('return typeof process')()",
      "Reflect.construct(Function, ['return typeof process'])()",
      "typeof Object.getOwnPropertyDescriptor(globalThis, 'process')",
    ];
    const { outcome } = await code(`return [${probes.join(",\n")}];`);
    expect(outcome.error).toBeUndefined();
    const results = (outcome.outputs as { out: string[] }).out;
    probes.forEach((probe, i) => expect(results[i], probe).toBe("undefined"));
    // What does exist is QuickJS's own, not the host's.
    const fn = await code("return [typeof console.log, String(console.log.constructor === Function)]");
    expect(fn.outcome.outputs).toEqual({ out: ["function", "true"] });
  });

  it("cannot load modules: dynamic import and require fail as code errors", async () => {
    for (const source of ["return await import('node:fs')", "return await import('fs')", "return require('child_process')"]) {
      const { outcome } = await code(source);
      expect(outcome.status, source).toBe("failed");
      expect(outcome.error?.code, source).toBe("code_error");
    }
  });

  it("leave nothing for the next job: globals, prototypes and built-ins start fresh every time", async () => {
    const poison = await code(`
      globalThis.leaked = inputs;
      Object.prototype.leakedProto = "tenant A's data";
      Array.prototype.push = function () { return "hijacked"; };
      JSON.stringify = function () { return '"hijacked"'; };
      console.log = function () {};
      return "poisoned";`);
    // Its own answer is serialized with its own (hijacked) JSON.stringify: its business only.
    expect(poison.outcome.outputs).toEqual({ out: "hijacked" });
    // Several jobs, so each worker of the pool is asked at least once.
    for (let i = 0; i < 6; i++) {
      const { outcome, events } = await code(`
        const a = []; a.push(1);
        console.log("still mine");
        return [typeof leaked, ({}).leakedProto ?? null, a.length, JSON.stringify({ x: 1 })];`);
      expect(outcome.outputs).toEqual({ out: ["undefined", null, 1, '{"x":1}'] });
      expect(events.some((e) => e.type === "log" && e.message === "still mine")).toBe(true);
    }
  });

  it("cannot pollute the host's prototypes through an output, and a JSON input cannot either", async () => {
    const { outcome } = await runSteps([
      { id: "c", kind: "code", config: { code: `return JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted2": "yes"}}, "a": 1}');` } },
      { id: "t", kind: "transform", config: { expression: '$merge([steps.c.output, {"b": 2}, inputs.doc])' } },
      { id: "m", kind: "template", needs: ["t"], config: { template: "{{ steps.t.output.a }} {{ steps.c.output.__proto__.polluted }}" } },
    ], {
      inputs: [{ name: "doc", type: "json" }],
      values: { doc: JSON.parse('{"__proto__": {"polluted3": "yes"}, "c": 3}') },
    });
    expect(outcome.status).toBe("succeeded");
    const probe: Record<string, unknown> = {};
    expect([probe.polluted, probe.polluted2, probe.polluted3]).toEqual([undefined, undefined, undefined]);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toEqual(expect.arrayContaining(["polluted"]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("never run at publish time: the syntax check only parses, and cannot be broken out of", async () => {
    const g = globalThis as Record<string, unknown>;
    const breakout = validateDefinition({ steps: [{ id: "c", kind: "code", config: { code: "}); globalThis.__fdPwned = 1; (async function () {" } }] });
    expect(breakout.ok).toBe(false);
    const plain = validateDefinition({ steps: [{ id: "c", kind: "code", config: { code: "globalThis.__fdPwned2 = 1; return 1" } }] });
    expect(plain.ok).toBe(true);
    expect([g.__fdPwned, g.__fdPwned2]).toEqual([undefined, undefined]);
  });

  it("a catastrophic regex and a microtask loop stop at the time limit while the host keeps running", async () => {
    for (const source of ["return /^(a+)+$/.test('a'.repeat(40) + 'b')", "for (;;) await null;", "while (true) { try { throw 1 } catch {} }"]) {
      const { value, ticks } = await loopWhile(() => code(source, { timeout_ms: 700 }));
      expect(value.outcome.error?.code, source).toBe("timeout");
      expect(value.elapsed, source).toBeLessThan(700 + 1500);
      expect(ticks, source).toBeGreaterThan(10);
    }
  });

  it("a string bomb stops at the memory limit; a log flood is capped; the sandbox stays usable", async () => {
    const bomb = await code("let s = 'x'; for (;;) s = s + s; return s.length;", { timeout_ms: 10_000 });
    expect(bomb.outcome.status).toBe("failed");
    expect(["memory_limit", "code_error"]).toContain(bomb.outcome.error?.code);
    const flood = await code("for (let i = 0; i < 100000; i++) console.log('line ' + i); return 'done';");
    expect(flood.outcome.outputs).toEqual({ out: "done" });
    expect(flood.events.filter((e) => e.type === "log").length).toBeLessThanOrEqual(1000);
    expect((await code("return 40 + 2")).outcome.outputs).toEqual({ out: 42 });
  });

  it("error stacks name the user's code only, not the host's files", async () => {
    const { outcome } = await code("try { null.x } catch (e) { return String(e.stack) + ' ' + new Error('y').stack }");
    const stack = (outcome.outputs as { out: string }).out;
    expect(stack).toContain("code.js");
    for (const hostPath of ["/work/", "node_modules", "sandbox-worker", process.cwd()]) expect(stack).not.toContain(hostPath);
  });
});

describe("JSONata expressions and templates (evaluated in the server process)", () => {
  // Millions of small evaluation steps: many seconds of work.
  const heavy = "$sum([1..3000000].($ * 2))";

  it("a long expression does not starve the event loop, and stops at its time limit", async () => {
    const { value, ticks, maxGapMs } = await loopWhile(() => runSteps([{ id: "t", kind: "transform", timeout_ms: 1500, config: { expression: heavy } }]));
    expect(value.outcome.error?.code).toBe("timeout");
    expect(value.elapsed).toBeLessThan(1500 + 1000);
    // Before the fix the loop got no turn at all until the expression ended (0 ticks); a
    // loaded machine gives fewer than the ideal 150.
    expect(ticks).toBeGreaterThan(5);
    expect(maxGapMs).toBeLessThan(1000);
  });

  it("a condition with a long expression stops at the step's time limit too", async () => {
    const { value, ticks } = await loopWhile(() => runSteps([{ id: "s", kind: "template", timeout_ms: 1000, if: `${heavy} > 0`, config: { template: "x" } }]));
    expect(value.outcome.error?.code).toBe("timeout");
    expect(ticks).toBeGreaterThan(3);
  });

  it("cancelling stops a running expression promptly", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const { outcome, elapsed } = await runSteps([{ id: "t", kind: "transform", timeout_ms: 60_000, config: { expression: heavy } }], { signal: controller.signal });
    expect(outcome.status).toBe("cancelled");
    expect(elapsed).toBeLessThan(1300);
  });

  it("$pad cannot build a huge string in one call; ordinary padding works", async () => {
    const t0 = performance.now();
    const big = await runSteps([{ id: "t", kind: "transform", config: { expression: `$pad("x", ${MAX_PAD_WIDTH + 1})` } }]);
    expect(big.outcome.error?.code).toBe("transform_error");
    expect(big.outcome.error?.message).toMatch(/\$pad: a width of .* is more than the limit/);
    expect(performance.now() - t0).toBeLessThan(1000);
    const ok = await runSteps([{ id: "t", kind: "transform", config: { expression: '$pad("5", -3, "0") & "|" & $pad("ab", 4) & "|" & $pad("x", -4, "#-")' } }]);
    expect(ok.outcome.outputs).toEqual({ out: "005|ab  |#-#x" });
  });

  it("find no path to host objects through prototype lookups", async () => {
    for (const expression of [
      "inputs.constructor", '$lookup(inputs, "constructor")', "inputs.name.constructor", '$lookup($, "__proto__")', "inputs.__proto__.constructor",
    ]) {
      const { outcome } = await runSteps([{ id: "t", kind: "transform", config: { expression } }], { inputs: [{ name: "name", type: "text", default: "x" }] });
      expect(outcome.outputs, expression).toEqual({ out: null });
    }
    const call = await runSteps([{ id: "t", kind: "transform", config: { expression: '(inputs.constructor.constructor)("return process")()' } }]);
    expect(call.outcome.error?.message).toMatch(/non-function/);
    expect(renderTemplate("[{{ inputs.constructor }}][{{ inputs.__proto__ }}][{{ inputs.name.constructor.name }}]", { inputs: { name: "x" }, steps: {} }))
      .toBe("[][][]");
  });
});

describe("documents the server process unpacks", () => {
  /** A valid DOCX whose body XML unpacks to `mb` MB (it compresses about a thousandfold). */
  async function docxOf(mb: number): Promise<Uint8Array> {
    const para = `<w:p><w:r><w:t>${"a".repeat(1000)}</w:t></w:r></w:p>`;
    const zip = new JSZip();
    zip.file("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>');
    zip.file("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>');
    const body = para.repeat(Math.ceil((mb * 1048576) / para.length));
    zip.file("word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`);
    return zip.generateAsync({ type: "uint8array", compression: "DEFLATE", compressionOptions: { level: 1 } });
  }

  const extractDocx = (bytes: Uint8Array) => {
    const checked = validateDefinition({
      inputs: [{ name: "doc", type: "file" }],
      steps: [{ id: "read", kind: "extract", config: { file: "{{ inputs.doc }}", format: "docx" } }],
      outputs: { chars: "{{ steps.read.output.text }}" },
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    return executeWorkflow({
      definition: checked.definition, emit: () => {},
      inputs: { doc: { id: "f", name: "bomb.docx", size: bytes.length, mime_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" } },
      ports: testPorts({ readFile: async () => bytes }),
    });
  };

  it("a DOCX that unpacks past the limit (a zip bomb) is refused before it is parsed", async () => {
    const bomb = await docxOf(MAX_DOCX_UNPACKED_BYTES / 1048576 + 10);
    expect(bomb.length).toBeLessThan(1024 * 1024); // under a megabyte on the wire
    const { value: outcome, maxGapMs } = await loopWhile(() => extractDocx(bomb));
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.message).toMatch(/unpacks to more than 50 MB/);
    // Before the check, mammoth parsed it all in the server's thread: tens of seconds with no turn for anything else.
    expect(maxGapMs).toBeLessThan(2000);
  }, 30_000);

  it("an ordinary DOCX still reads", async () => {
    const outcome = await extractDocx(await docxOf(0.01));
    expect(outcome.status).toBe("succeeded");
    expect(String((outcome.outputs as { chars: string }).chars)).toMatch(/^a{1000}/);
  });
});
