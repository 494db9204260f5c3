/**
 * The engine's own overhead, with no storage: a chain of 100 template steps, 100 independent
 * template steps, and the 3-step demo `greet` (template → code in the sandbox → transform).
 * Each is printed beside the bare work it does (rendering the same templates in a plain
 * loop), so the overhead per step is a difference measured in the same process.
 * Run: npx tsx bench/engine.ts [rounds=200]
 */
import {
  executeWorkflow, getSandboxPool, renderTemplate, shutdownSandboxPool, validateDefinition, type WorkflowDefinition,
} from "../lib/engine";
import { testPorts } from "../lib/engine/test-ports";
import { demoWorkflows } from "../lib/demo/workflows";

const rounds = Number(process.argv[2] ?? 200);
const ports = testPorts();

function definition(raw: unknown): WorkflowDefinition {
  const checked = validateDefinition(raw);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.definition;
}

const chain = definition({
  inputs: [{ name: "name", type: "text" }],
  steps: Array.from({ length: 100 }, (_, i) => ({
    id: `s${i}`, kind: "template", config: { template: i === 0 ? "{{ inputs.name }}" : `{{ steps.s${i - 1}.output }}` },
  })),
  outputs: { last: "{{ steps.s99.output }}" },
});

const parallel = definition({
  inputs: [{ name: "name", type: "text" }],
  steps: Array.from({ length: 100 }, (_, i) => ({ id: `p${i}`, kind: "template", config: { template: `{{ inputs.name }} ${i}` } })),
});

const greetRaw = demoWorkflows.find((w) => w.name === "greet")!.versions[0];
const greet = definition(greetRaw);

/** Median and p99 of `rounds` timings of fn, in ms, after a warm-up. */
async function time(fn: () => Promise<unknown> | unknown): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(20, rounds); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)], p99: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))] };
}

const run = (def: WorkflowDefinition, maxConcurrency?: number) => async () => {
  let events = 0;
  const outcome = await executeWorkflow({ definition: def, inputs: { name: "Ada" }, emit: () => void events++, ports, maxConcurrency });
  if (outcome.status !== "succeeded") throw new Error(`run ${outcome.status}: ${JSON.stringify(outcome.error)}`);
};

// The bare work: render each step's template against a scope, in a plain loop.
const bareChain = () => {
  const scope = { inputs: { name: "Ada" }, steps: {} as Record<string, { output: unknown }> };
  for (const step of chain.steps) scope.steps[step.id] = { output: renderTemplate((step.config as { template: string }).template, scope) };
};
const bareParallel = () => {
  const scope = { inputs: { name: "Ada" }, steps: {} };
  for (const step of parallel.steps) renderTemplate((step.config as { template: string }).template, scope);
};

const pool = getSandboxPool();
const warm = { code: "return 1", inputs: "{}", steps: "{}", timeoutMs: 5000, memoryMb: 32 };
await Promise.all(Array.from({ length: pool.size }, () => pool.run(warm)));
const rows: [string, { p50: number; p99: number }, { p50: number; p99: number } | null, number][] = [
  ["chain of 100 template steps", await time(run(chain)), await time(bareChain), 100],
  ["100 parallel template steps (8 at once)", await time(run(parallel)), await time(bareParallel), 100],
  ["100 parallel template steps (100 at once)", await time(run(parallel, 100)), await time(bareParallel), 100],
  ["greet: template → code → transform", await time(run(greet)), null, 3],
];
await shutdownSandboxPool();

const f = (n: number) => n.toFixed(3);
console.log(`engine overhead, ${rounds} rounds each (ms)`);
console.log("workflow | run p50 | run p99 | bare work p50 | overhead per step");
for (const [name, engine, bare, steps] of rows) {
  const perStep = (engine.p50 - (bare?.p50 ?? 0)) / steps;
  console.log(`${name} | ${f(engine.p50)} | ${f(engine.p99)} | ${bare ? f(bare.p50) : "—"} | ${f(perStep)}`);
}
