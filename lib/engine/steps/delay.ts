/**
 * Delay step: waits a fixed time (rate limits, polling intervals, demos of live runs),
 * reporting progress as it goes and stopping at once when the step is aborted.
 */
import { z } from "zod";
import { defineStepKind, StepError } from "./types";

const configSchema = z.object({
  ms: z.number().int().min(0).max(15 * 60_000),
  message: z.string().optional(),
});

const TICK_MS = 250;

/** The "delay" step kind. */
export const delayStep = defineStepKind<z.output<typeof configSchema>>({
  kind: "delay",
  configSchema,
  async run({ config, signal, emit }) {
    if (config.message) emit({ type: "log", level: "info", message: config.message });
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearInterval(ticker);
        clearTimeout(timer);
        // The engine sets the reason (timeout or cancel); fall back to a plain cancel.
        reject(signal.reason instanceof StepError ? signal.reason : new StepError("cancelled", "Delay was interrupted"));
      };
      const ticker = setInterval(() => {
        emit({ type: "progress", fraction: Math.min((Date.now() - started) / Math.max(config.ms, 1), 1) });
      }, TICK_MS);
      const timer = setTimeout(() => {
        clearInterval(ticker);
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, config.ms);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    return { waited_ms: Date.now() - started };
  },
});
