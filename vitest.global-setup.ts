/**
 * Once per vitest run, in the main process: name the run (test databases carry its id),
 * and on PostgreSQL build the migrated template before the test files race for it. At the
 * end, drop every PostgreSQL database the run created that a test file could not drop
 * itself (and those that killed runs left behind).
 */
import type { TestProject } from "vitest/node";
import {
  dropTestDatabases,
  pgUnavailable,
  prepareTestPgTemplate,
  testRunId,
  testSuiteProvider,
} from "./lib/db/test-database";

declare module "vitest" {
  export interface ProvidedContext {
    flowdeckTestRunId: string;
  }
}

export async function setup(project: TestProject) {
  const runId = testRunId();
  project.provide("flowdeckTestRunId", runId);
  if (testSuiteProvider() === "postgresql") {
    const missing = await pgUnavailable();
    if (missing) throw new Error(`The suite runs on PostgreSQL but ${missing}`);
    await dropTestDatabases().catch(() => {}); // leftovers of killed runs
    await prepareTestPgTemplate();
  }
  return async () => {
    // Test files that needed PostgreSQL may have created databases even on a SQLite run.
    const reachable = await pgUnavailable().then((missing) => !missing, () => false);
    if (reachable) {
      await dropTestDatabases({ runId }).catch(() => {});
    }
  };
}
