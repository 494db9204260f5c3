/**
 * The step graph: a step depends on the steps it `needs`, on every step its config or
 * condition mentions (`steps.X` in templates, code or JSONata), and on a branch that gates it.
 */
import { getStepKind } from "./steps";
import { findReferences } from "./template";

/** The part of a step the planner reads. */
export interface PlannableStep {
  id: string;
  kind?: string;
  needs?: string[];
  if?: string;
  config?: unknown;
}

/** The dependency graph of a workflow. */
export interface WorkflowPlan {
  /** Step ids, dependencies first. Partial when there is a cycle. */
  order: string[];
  /** Step id → the ids it waits for (known steps only, no duplicates). */
  dependencies: Record<string, string[]>;
  /** Step id → the ids waiting for it. */
  dependents: Record<string, string[]>;
  /** A cycle as ids, each feeding the next, the first repeated at the end; null when acyclic. */
  cycle: string[] | null;
}

/** Calls `visit` for every string inside a JSON-like value. */
export function forEachString(value: unknown, visit: (s: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) for (const item of value) forEachString(item, visit);
  else if (value && typeof value === "object") for (const item of Object.values(value)) forEachString(item, visit);
}

/**
 * Maps a name found after `steps.` to a step id. `steps.a-b` in code may mean `steps.a - b`,
 * so a hyphenated name that is not an id falls back to its longest prefix that is one.
 */
export function resolveStepRef(ref: string, ids: ReadonlySet<string>): string | null {
  if (ids.has(ref)) return ref;
  let cut = ref.lastIndexOf("-");
  while (cut > 0) {
    const prefix = ref.slice(0, cut);
    if (ids.has(prefix)) return prefix;
    cut = prefix.lastIndexOf("-");
  }
  return null;
}

/** Every step name a step mentions (needs, config strings, condition), resolved or not. */
export function referencedSteps(step: PlannableStep): Set<string> {
  const refs = new Set<string>(step.needs ?? []);
  const scan = (s: string) => {
    for (const id of findReferences(s).steps) refs.add(id);
  };
  forEachString(step.config, scan);
  if (step.if) scan(step.if);
  return refs;
}

const planCache = new WeakMap<object, WorkflowPlan>();

/** Builds (and caches per definition object) the dependency graph and a topological order. */
export function planWorkflow(def: { steps: PlannableStep[] }): WorkflowPlan {
  const cached = planCache.get(def);
  if (cached) return cached;

  const ids = new Set(def.steps.map((s) => s.id));
  const dependencies: Record<string, string[]> = {};
  const dependents: Record<string, string[]> = {};
  for (const step of def.steps) dependents[step.id] = [];
  for (const step of def.steps) {
    const deps = new Set<string>();
    for (const ref of referencedSteps(step)) {
      const id = resolveStepRef(ref, ids);
      if (id !== null) deps.add(id);
    }
    dependencies[step.id] = [...deps];
  }
  // A gating step (branch) comes before every step it decides about.
  for (const step of def.steps) {
    const gated = step.kind ? getStepKind(step.kind)?.gates?.(step.config) : undefined;
    for (const id of gated ?? []) {
      if (ids.has(id) && id !== step.id && !dependencies[id].includes(step.id)) dependencies[id].push(step.id);
    }
  }
  for (const step of def.steps) for (const dep of dependencies[step.id]) dependents[dep].push(step.id);

  // Kahn's algorithm, in definition order among ready steps.
  const waiting = new Map<string, number>();
  const ready: string[] = [];
  for (const step of def.steps) {
    const n = dependencies[step.id].length;
    waiting.set(step.id, n);
    if (n === 0) ready.push(step.id);
  }
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i];
    order.push(id);
    for (const next of dependents[id]) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }

  const cycle = order.length === ids.size ? null : findCycle(dependencies, new Set(order));
  const plan = { order, dependencies, dependents, cycle };
  planCache.set(def, plan);
  return plan;
}

/** Every unplaced step waits on another unplaced step, so following dependencies must loop. */
function findCycle(dependencies: Record<string, string[]>, placed: Set<string>): string[] {
  const start = Object.keys(dependencies).find((id) => !placed.has(id))!;
  const path: string[] = [];
  const seenAt = new Map<string, number>();
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    current = dependencies[current].find((d) => !placed.has(d))!;
  }
  // path walks "depends on"; reverse so each id feeds the next.
  const loop = path.slice(seenAt.get(current)!).reverse();
  // Start at the step defined first, so the message is stable.
  const rank = Object.keys(dependencies);
  let first = 0;
  for (let i = 1; i < loop.length; i++) if (rank.indexOf(loop[i]) < rank.indexOf(loop[first])) first = i;
  const rotated = [...loop.slice(first), ...loop.slice(0, first)];
  return [...rotated, rotated[0]];
}
