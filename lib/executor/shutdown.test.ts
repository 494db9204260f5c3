import { describe, expect, it } from "vitest";
import { onShutdown, runShutdownHooks } from "./shutdown";

describe("shutdown hooks", () => {
  it("runs the late hooks only after every other hook has finished, each once, despite failures", async () => {
    const order: string[] = [];
    const slow = (name: string, ms: number) => async () => {
      await new Promise((r) => setTimeout(r, ms));
      order.push(name);
    };
    onShutdown(slow("late bus", 0), { late: true });
    onShutdown(slow("executor", 50));
    onShutdown(async () => {
      order.push("failing");
      throw new Error("boom");
    });
    const removed = onShutdown(slow("removed", 0));
    removed();
    await runShutdownHooks();
    expect(order).toEqual(["failing", "executor", "late bus"]);
    await runShutdownHooks(); // nothing runs twice
    expect(order).toHaveLength(3);
  });
});
