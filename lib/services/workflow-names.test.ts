import { describe, expect, it } from "vitest";
import { reservedWorkflowName, WORKFLOW_NAME_RE } from "./workflows";

describe("workflow names", () => {
  it("refuses names that would collide with a route", () => {
    for (const name of ["executions", "new", "7", "0042"]) {
      expect(WORKFLOW_NAME_RE.test(name)).toBe(true);
      expect(reservedWorkflowName(name)).toMatch(/reserved|digits only/);
    }
  });

  it("allows ordinary names, including ones that only look close", () => {
    for (const name of ["greet", "workflows", "executions-2", "new-report", "v2", "7up"]) {
      expect(reservedWorkflowName(name)).toBeNull();
    }
  });
});
