/**
 * Test fixture for event-log tests: the demo workspace (migrated and seeded), its actor, and
 * a way to store a bare `running` run of `greet` that no executor touches, so a test writes
 * its events itself (RunEventWriter) and reads them back.
 */
import { db } from "../db/client";
import { applyMigrations } from "../db/migrate";
import type { Actor } from "../schemas/workspace";
import { seedDemo } from "./demo-seed";
import { insertRun } from "./run-store";
import { getActorForUser } from "./users";

export interface DemoRunFixture {
  actor: Actor;
  /** A new run of greet, stored `running` with no inputs. */
  insertRunningRun(): Promise<{ id: number; uuid: string }>;
}

export async function demoRunFixture(): Promise<DemoRunFixture> {
  await applyMigrations();
  await seedDemo();
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@flowdeck.local" } });
  const actor = await getActorForUser(user.id, "demo");
  const wf = await db.workflow.findFirstOrThrow({ where: { workspaceId: actor.workspaceId, name: "greet" } });
  const version = await db.workflowVersion.findFirstOrThrow({ where: { workflowId: wf.id }, orderBy: { number: "desc" } });
  return {
    actor,
    insertRunningRun: () =>
      insertRun({
        workspaceId: actor.workspaceId, workflowId: wf.id, versionId: version.id, versionNumber: version.number,
        label: null, status: "running", origin: "api", externalId: null, metadata: "{}", totalSteps: 1,
        createdById: null, apiKeyId: null, parentRunId: null, inputs: "{}",
      }),
  };
}
