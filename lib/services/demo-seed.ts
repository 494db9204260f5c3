/**
 * First-start demo: a user (demo@flowdeck.local / flowdeck), a workspace and the demo
 * workflows with labels. Runs once (it does nothing when the demo user exists); a real
 * deployment turns it off with FLOWDECK_DEMO=off.
 */
import { db } from "../db/client";
import { demoWorkflows } from "../demo/workflows";
import { hashPassword } from "../security/passwords";
import { sha256Hex } from "../security/tokens";
import { createWorkspace } from "./workspaces";
import { createWorkflow, publishVersion, setLabel } from "./workflows";

export const DEMO_EMAIL = "demo@flowdeck.local";
export const DEMO_PASSWORD = "flowdeck";
export const DEMO_WORKSPACE_SLUG = "demo";

export async function seedDemo(): Promise<{ seeded: boolean }> {
  if (process.env.FLOWDECK_DEMO === "off") return { seeded: false };
  if (await db.user.findUnique({ where: { email: DEMO_EMAIL } })) return { seeded: false };

  const user = await db.user.create({
    data: { email: DEMO_EMAIL, name: "Demo User", passwordHash: await hashPassword(DEMO_PASSWORD) },
  });
  const actor = await createWorkspace(user.id, { slug: DEMO_WORKSPACE_SLUG, name: "Demo workspace" });

  for (const wf of demoWorkflows) {
    const [first, ...rest] = wf.versions;
    await createWorkflow(actor, { name: wf.name, title: wf.title, description: wf.description, definition: first });
    for (const definition of rest) await publishVersion(actor, wf.name, definition, "Demo update");
    for (const [label, version] of Object.entries(wf.labels)) await setLabel(actor, wf.name, label, version);
  }

  const demoKey = process.env.FLOWDECK_DEMO_API_KEY?.trim();
  if (demoKey) {
    await db.apiKey.create({
      data: {
        workspaceId: actor.workspaceId, name: "Demo key", keyHash: sha256Hex(demoKey), last4: demoKey.slice(-4),
        role: "admin", createdById: user.id,
      },
    });
  }
  return { seeded: true };
}
