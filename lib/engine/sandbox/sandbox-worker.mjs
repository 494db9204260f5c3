/**
 * Sandbox worker: evaluates untrusted JavaScript in QuickJS (WebAssembly), one job at a time.
 *
 * Plain ESM JavaScript on purpose: the host locates this file on disk at run time, so it must
 * not depend on a bundler. Each job gets a fresh QuickJS runtime + context (memory limit, stack
 * limit, interrupt handler), made ahead while the worker is idle; the WebAssembly module is
 * kept between jobs and replaced after a job that exhausted memory.
 *
 * Memory: QuickJS's own malloc limit is unreliable in this build (it cannot measure block
 * sizes, so a loop of large strings sails past it). The real cap is the module's WebAssembly
 * memory, created with a fixed maximum of BASE_MEMORY_MB + the job's limit: malloc fails
 * there and QuickJS throws "out of memory" within a few hundred milliseconds. One module is
 * kept per distinct limit (few in practice; the least recently used is dropped).
 *
 * Protocol (all data as JSON strings):
 *   in : { id, code, inputs, steps, extra?, timeoutMs, memoryMb }   (extra: JSON object of more globals, e.g. a map's item/index)
 *   out: { id, type: "log", level, message }
 *        { id, type: "result", ok: true, output, logs? }            (output: JSON text)
 *        { id, type: "result", ok: false, code, message, logs? }    (code_error | timeout | memory_limit | cancelled)
 * Log lines of a job's first LOG_HOLD_MS travel with its result (`logs`: [{ level, message }]),
 * one message instead of one per line for the usual short job; after that they are sent as
 * they come, so a long job's log still streams.
 * Cancellation: the host writes the job id into a cell of the shared Int32Array `cancel`; the
 * interrupt handler reads them with Atomics, so a busy loop is stopped without a message. The
 * host may send a job while the previous one runs; a job cancelled before it starts is not run.
 */
import { parentPort, workerData } from "node:worker_threads";
import { newQuickJSWASMModule, newVariant, RELEASE_SYNC } from "quickjs-emscripten";

const cancel = new Int32Array(workerData.cancel);
const isCancelled = (id) => {
  for (let i = 0; i < cancel.length; i++) if (Atomics.load(cancel, i) === id) return true;
  return false;
};
const MAX_STACK_BYTES = 1024 * 1024;
const MAX_LOG_LINES = 1000;
const MAX_LOG_CHARS = 8192;
const LOG_HOLD_MS = 20;

const BASE_MEMORY_MB = 16;
const WASM_PAGE = 65536;
const MAX_MODULES = 3;

/** memoryMb -> { promise, memory } ; insertion order is recency. */
const modules = new Map();

function moduleFor(memoryMb) {
  let entry = modules.get(memoryMb);
  if (entry) {
    modules.delete(memoryMb);
  } else {
    const memory = new WebAssembly.Memory({
      initial: (BASE_MEMORY_MB * 1048576) / WASM_PAGE,
      maximum: ((BASE_MEMORY_MB + memoryMb) * 1048576) / WASM_PAGE,
    });
    entry = { memory, promise: newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory: memory })) };
    if (modules.size >= MAX_MODULES) modules.delete(modules.keys().next().value);
  }
  modules.set(memoryMb, entry);
  return entry;
}

/** Runs inside QuickJS before the user's code: builds console, inputs, steps; hides the bridges. */
const PRELUDE = `(function () {
  const log = globalThis.__flowdeck_log;
  const inputs = JSON.parse(globalThis.__flowdeck_inputs);
  const steps = JSON.parse(globalThis.__flowdeck_steps);
  const extra = JSON.parse(globalThis.__flowdeck_extra);
  delete globalThis.__flowdeck_extra;
  delete globalThis.__flowdeck_log;
  delete globalThis.__flowdeck_inputs;
  delete globalThis.__flowdeck_steps;
  const show = (v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return String(v);
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  };
  const line = (level) => (...args) => { log(level, args.map(show).join(" ")); };
  globalThis.console = { log: line("info"), info: line("info"), debug: line("debug"), warn: line("warn"), error: line("error") };
  globalThis.inputs = inputs;
  globalThis.steps = steps;
  for (const key of Object.keys(extra)) globalThis[key] = extra[key];
  return (p) => p.then((v) => {
    if (v === undefined) return "null";
    const s = JSON.stringify(v);
    if (typeof s !== "string") throw new TypeError("The return value is not JSON-serializable (got " + typeof v + ")");
    return s;
  });
})()`;

function fail(code, message) {
  return { ok: false, code, message };
}

/** Turns a QuickJS error value into a short message with the user's line number when known. */
function describeError(dumped) {
  if (dumped && typeof dumped === "object") {
    const name = dumped.name ? String(dumped.name) : "Error";
    const message = dumped.message !== undefined ? String(dumped.message) : String(dumped);
    const at = /code\.js:(\d+)/.exec(String(dumped.stack ?? ""));
    return { name, message, text: `${name}: ${message}${at ? ` (line ${at[1]})` : ""}` };
  }
  return { name: "Error", message: String(dumped), text: String(dumped) };
}

/** A fresh runtime and context (never used by any job) for jobs with this memory limit. */
function newVm(QuickJS, memoryMb) {
  const rt = QuickJS.newRuntime();
  rt.setMemoryLimit(memoryMb * 1048576);
  rt.setMaxStackSize(MAX_STACK_BYTES);
  return { QuickJS, memoryMb, rt, ctx: rt.newContext() };
}

/**
 * The next job's VM, made while the worker would otherwise wait (after a job's answer is
 * sent): creating a context is most of a short job's cost (~0.1–0.2 ms), and so it is off the
 * path a job waits on. Each VM still serves exactly one job.
 */
let spare = null;
function takeVm(QuickJS, memoryMb) {
  const vm = spare && spare.QuickJS === QuickJS && spare.memoryMb === memoryMb ? spare : null;
  if (spare && !vm) disposeVm(spare);
  spare = null;
  return vm ?? newVm(QuickJS, memoryMb);
}
function disposeVm(vm) {
  try { vm.ctx.dispose(); } catch { /* runtime may be unusable after OOM */ }
  try { vm.rt.dispose(); } catch { /* ditto */ }
}

/** Runs one job in `vm`; the handles it makes go to `handles` (disposed after the answer is sent). */
function runJob(vm, memory, job, held, handles) {
  const jobStart = Date.now();
  const deadline = jobStart + job.timeoutMs;
  let stopped = null;
  let logLines = 0;
  const { rt } = vm;
  const flushHeld = () => {
    for (const h of held.splice(0)) parentPort.postMessage({ id: job.id, type: "log", ...h });
  };
  rt.setInterruptHandler(() => {
    // A job still running past LOG_HOLD_MS sends what it logged so far (its log streams live).
    if (held.length > 0 && Date.now() - jobStart >= LOG_HOLD_MS) flushHeld();
    if (isCancelled(job.id)) stopped = "cancelled";
    else if (Date.now() > deadline) stopped = "timeout";
    return stopped !== null;
  });
  const ctx = vm.ctx;
  const keep = (h) => (handles.push(h), h);

  /** Classifies an error handle (or a host-side exception) from the VM. */
  const failure = (errorHandle) => {
    if (stopped === "timeout") return fail("timeout", `Step exceeded its time limit of ${job.timeoutMs} ms`);
    if (stopped === "cancelled") return fail("cancelled", "The step was cancelled");
    let dumped;
    try { dumped = ctx.dump(errorHandle); } catch { dumped = undefined; }
    // When memory ran out, even reading the error can fail or yield nothing useful.
    // (The wasm memory never shrinks, so its size alone says nothing about this job.)
    const unreadable = !dumped || typeof dumped !== "object" || dumped.message === undefined;
    if (unreadable && memoryExhausted()) return oom();
    const err = describeError(dumped);
    if (/out of memory/i.test(err.message)) return oom();
    if (/stack overflow/i.test(err.message)) return fail("code_error", `RangeError: Maximum call stack size exceeded${err.text.match(/ \(line \d+\)$/)?.[0] ?? ""}`);
    return fail("code_error", err.text);
  };
  const memoryExhausted = () => memory.buffer.byteLength >= maxMemoryBytes - 1048576;
  const maxMemoryBytes = (BASE_MEMORY_MB + job.memoryMb) * 1048576;
  const oom = () => ({ ...fail("memory_limit", `Step exceeded its memory limit of ${job.memoryMb} MB`), recycle: true });

  try {
    const logFn = keep(ctx.newFunction("log", (levelH, msgH) => {
      if (logLines >= MAX_LOG_LINES) return;
      logLines += 1;
      let message = ctx.getString(msgH);
      if (message.length > MAX_LOG_CHARS) message = `${message.slice(0, MAX_LOG_CHARS)}… (truncated)`;
      if (logLines === MAX_LOG_LINES) message += ` (log limit of ${MAX_LOG_LINES} lines reached; further lines dropped)`;
      const line = { level: ctx.getString(levelH), message };
      if (Date.now() - jobStart < LOG_HOLD_MS) {
        held.push(line);
        return;
      }
      flushHeld();
      parentPort.postMessage({ id: job.id, type: "log", ...line });
    }));
    ctx.setProp(ctx.global, "__flowdeck_log", logFn);
    ctx.setProp(ctx.global, "__flowdeck_inputs", keep(ctx.newString(job.inputs)));
    ctx.setProp(ctx.global, "__flowdeck_steps", keep(ctx.newString(job.steps)));
    ctx.setProp(ctx.global, "__flowdeck_extra", keep(ctx.newString(job.extra ?? "{}")));

    const prelude = ctx.evalCode(PRELUDE, "prelude.js");
    if (prelude.error) return failure(keep(prelude.error));
    const finish = keep(prelude.value);

    // The user's first line stays on line 1 of code.js so error lines match the editor.
    const started = ctx.evalCode(`(async function () {${job.code}\n})()`, "code.js");
    if (started.error) return failure(keep(started.error));
    const promise = keep(started.value);
    const finished = ctx.callFunction(finish, ctx.undefined, promise);
    if (finished.error) return failure(keep(finished.error));
    const resultPromise = keep(finished.value);

    const jobs = rt.executePendingJobs();
    if (jobs.error) return failure(keep(jobs.error));
    const state = ctx.getPromiseState(resultPromise);
    if (state.type === "pending") {
      return fail("code_error", "The code returned a promise that never settled (code steps have no timers or I/O)");
    }
    if (state.type === "rejected") return failure(keep(state.error));
    const output = ctx.getString(keep(state.value));
    return { ok: true, output };
  } catch (error) {
    // Host-side failures: a QuickJS OOM can surface as an exception from the bindings.
    if (stopped) return failure(undefined);
    const message = error instanceof Error ? error.message : String(error);
    if (/out of memory|memory access out of bounds|Memory\.grow/i.test(message) || memoryExhausted()) return oom();
    return { ...fail("code_error", message), recycle: true };
  }
}

// Warm the module most jobs use, so the first code step does not pay for it.
moduleFor(32);

parentPort.on("message", async (job) => {
  if (isCancelled(job.id)) {
    parentPort.postMessage({ id: job.id, type: "result", ...fail("cancelled", "The step was cancelled") });
    return;
  }
  let result;
  const held = [];
  const handles = [];
  const entry = moduleFor(job.memoryMb);
  let vm = null;
  try {
    const QuickJS = await entry.promise;
    vm = takeVm(QuickJS, job.memoryMb);
    result = runJob(vm, entry.memory, job, held, handles);
  } catch (error) {
    result = { ...fail("code_error", `Sandbox failure: ${error instanceof Error ? error.message : String(error)}`), recycle: true };
  }
  if (result.recycle) modules.delete(job.memoryMb);
  const { recycle: _recycle, ...payload } = result;
  parentPort.postMessage({ id: job.id, type: "result", ...payload, ...(held.length ? { logs: held } : {}) });
  // Clean-up and the next job's VM come after the answer.
  for (const h of handles) {
    try { if (h.alive) h.dispose(); } catch { /* runtime may be unusable after OOM */ }
  }
  if (vm) disposeVm(vm);
  if (!result.recycle && vm) {
    try {
      spare = newVm(vm.QuickJS, job.memoryMb);
    } catch {
      spare = null; // made on demand next time
    }
  }
});
