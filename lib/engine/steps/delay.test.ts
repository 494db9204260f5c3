import { describe, expect, it } from "vitest";
import { testPorts } from "../test-ports";
import { executeWorkflow, type EngineEvent } from "../index";

const definition = (ms: number) => ({
  inputs: [],
  steps: [{ id: "wait", kind: "delay", timeout_ms: 5000, retries: 0, retry_backoff_ms: 0, config: { ms } }],
  outputs: { waited: "{{ steps.wait.output.waited_ms }}" },
});

describe("delay step", () => {
  it("waits, reports progress, and outputs how long it waited", async () => {
    const events: EngineEvent[] = [];
    const outcome = await executeWorkflow({
      definition: definition(600) as never, inputs: {}, emit: (e) => void events.push(e),
      ports: testPorts(),
    });
    expect(outcome.status).toBe("succeeded");
    expect(outcome.outputs?.waited as number).toBeGreaterThanOrEqual(590);
    expect(events.some((e) => e.type === "progress")).toBe(true);
  });

  it("stops at once when the run is cancelled", async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    setTimeout(() => controller.abort(), 100);
    const outcome = await executeWorkflow({
      definition: definition(10_000) as never, inputs: {}, signal: controller.signal, emit: () => {},
      ports: testPorts(),
    });
    expect(outcome.status).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
