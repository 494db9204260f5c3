/**
 * Map step: runs a list of nested steps once per item of a list, a few items at a time, and
 * returns the results in the order of the items. Inside, templates and code see `item` and
 * `index` besides `inputs` and `steps`; the inner steps' logs are forwarded with their item.
 */
import { setMaxListeners } from "node:events";
import { z } from "zod";
import { resolveValueTemplate } from "../template";
import { defineStepKind, StepError } from "./types";

/** Most items one map step may take. */
export const MAX_MAP_ITEMS = 10_000;
/** Most items running at once. */
export const MAX_MAP_CONCURRENCY = 32;

const configSchema = z.object({
  /** A template resolving to a list (or a JSON text of one). */
  items: z.string().min(1),
  /** The nested steps; checked as a sub-workflow when the definition is validated. */
  steps: z.array(z.object({ id: z.string(), kind: z.string() }).passthrough()).min(1, "a map needs at least one step"),
  /** What each item yields: a template over the inner steps; default: the last inner step's output. */
  output: z.string().optional(),
  concurrency: z.number().int().min(1).max(MAX_MAP_CONCURRENCY).default(4),
  /** `fail`: the first failing item fails the step; `skip`: its result is null and the rest go on. */
  on_item_error: z.enum(["fail", "skip"]).default("fail"),
});

type MapConfig = z.output<typeof configSchema>;

/** What a map step returns. */
export interface MapOutput {
  results: unknown[];
  count: number;
  failed: number;
}

/** The "map" step kind. */
export const mapStep = defineStepKind<MapConfig>({
  kind: "map",
  configSchema,
  // Its nested steps may reach the outside; do not repeat a whole map after a crash.
  durable: true,
  nested(raw) {
    if (!raw || typeof raw !== "object" || !("steps" in raw)) return null;
    return { steps: (raw as { steps: unknown }).steps, roots: ["item", "index"] };
  },
  async run(ctx): Promise<MapOutput> {
    const { config, scope, signal, emit } = ctx;
    const items = toList(resolveValueTemplate(config.items, scope), config.items);
    if (items.length > MAX_MAP_ITEMS) {
      throw new StepError("map_error", `'items' has ${items.length} entries; a map takes at most ${MAX_MAP_ITEMS}`);
    }
    const lastStepId = String(config.steps[config.steps.length - 1].id);
    const results: unknown[] = new Array(items.length).fill(null);
    let next = 0;
    let done = 0;
    let failed = 0;
    let firstFailure: StepError | null = null;
    // Stops the remaining items when one fails (in "fail" mode) — the step's own signal also stops them.
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });

    const worker = async () => {
      while (!stop.signal.aborted && next < items.length) {
        const index = next++;
        const outcome = await ctx.runNested(config.steps, { item: items[index], index }, {
          signal: stop.signal,
          onEvent: (e) => {
            if (e.type === "log") emit({ type: "log", level: e.level, message: `[item ${index} · ${e.step_id}] ${e.message}` });
            else if (config.concurrency === 1) emit({ type: "text_chunk", text: e.text });
          },
        });
        if (outcome.ok) {
          const itemScope = { ...scope, steps: { ...scope.steps, ...wrap(outcome.stepOutputs) }, item: items[index], index };
          results[index] = config.output !== undefined
            ? (resolveValueTemplate(config.output, itemScope) ?? null)
            : (outcome.stepOutputs[lastStepId] ?? null);
        } else if (outcome.code === "cancelled" && stop.signal.aborted) {
          return;
        } else {
          failed++;
          const where = outcome.step_id ? ` at step '${outcome.step_id}'` : "";
          const message = `Item ${index} failed${where}: ${outcome.message}`;
          if (config.on_item_error === "fail") {
            firstFailure ??= new StepError(outcome.code === "timeout" ? "timeout" : "map_item_failed", message);
            stop.abort(firstFailure);
            return;
          }
          emit({ type: "log", level: "warn", message });
        }
        done++;
        emit({ type: "progress", fraction: done / items.length, message: `${done} of ${items.length} items` });
      }
    };

    try {
      await Promise.all(Array.from({ length: Math.min(config.concurrency, items.length) }, worker));
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (firstFailure) throw firstFailure;
    if (signal.aborted) throw signal.reason instanceof StepError ? signal.reason : new StepError("cancelled", "The step was cancelled");
    return { results, count: items.length, failed };
  },
});

function wrap(outputs: Record<string, unknown>): Record<string, { output: unknown }> {
  const out: Record<string, { output: unknown }> = {};
  for (const [id, output] of Object.entries(outputs)) out[id] = { output };
  return out;
}

/** The list to map over: an array, a JSON text of one, or an object's values are refused with a hint. */
function toList(value: unknown, template: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") {
    try {
      const parsed = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // fall through to the error below
    }
  }
  const got = value === undefined ? "nothing" : Array.isArray(value) ? "a list" : typeof value;
  throw new StepError("map_error", `'items' (${template}) must resolve to a list, got ${got}`);
}
