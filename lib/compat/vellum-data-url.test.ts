/**
 * Vellum inline documents (`data:` URLs) that are not valid percent-encoding are a 400 at the
 * input's `src`, and store nothing (found by lib/api/fuzz.test.ts: `data:text/plain,100%` made
 * decodeURIComponent throw, a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import type { Actor } from "../schemas/workspace";
import { createApiKey } from "../services/api-keys";
import { createWorkflow } from "../services/workflows";
import { createWorkspace } from "../services/workspaces";
import { vellum } from "./vellum";

let actor: Actor;
let key: string;

beforeAll(async () => {
  await applyMigrations();
  const user = await db.user.create({ data: { email: "vellum-data-url@example.test" } });
  actor = await createWorkspace(user.id, { slug: "vellum-data-url", name: "V" });
  await createWorkflow(actor, {
    name: "doc",
    definition: {
      inputs: [{ name: "document", type: "file" }, { name: "pages", type: "file_list", required: false }],
      steps: [{ id: "t", kind: "template", config: { template: "{{ inputs.document.name }}" } }],
      outputs: { name: "{{ steps.t.output }}" },
    },
  });
  key = (await createApiKey(actor, { name: "k", role: "admin" })).key;
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

const execute = (inputs: unknown[]) =>
  vellum.executeAsync(new Request("http://x/v1/execute-workflow-async", {
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json" },
    body: JSON.stringify({ workflow_deployment_name: "doc", inputs }),
  }));

describe("Vellum data: URLs", () => {
  it.each(["data:text/plain,100%", "data:text/plain,%E0%A4%A", "data:,%zz"])("%s is a 400 at the src, nothing stored", async (src) => {
    const [runs, files] = [await db.run.count(), await db.file.count()];
    const single = await execute([{ name: "document", type: "DOCUMENT", value: { src } }]);
    expect(single.status).toBe(400);
    expect(await single.json()).toMatchObject({ code: "validation_error", detail: expect.stringContaining("inputs.0.value.src") });
    const list = await execute([
      { name: "document", type: "DOCUMENT", value: { src: "data:,fine" } },
      { name: "pages", type: "JSON", value: ["data:,ok", src] },
    ]);
    expect(list.status).toBe(400);
    expect(await list.json()).toMatchObject({ detail: expect.stringContaining("inputs.1.value.1") });
    expect([await db.run.count(), await db.file.count()]).toEqual([runs, files]);
  });

  it("a well-formed one is stored and runs", async () => {
    const res = await execute([{ name: "document", type: "DOCUMENT", value: { src: "data:text/plain,hello%20there", metadata: { filename: "a.txt" } } }]);
    expect(res.status).toBe(200);
    const { execution_id } = (await res.json()) as { execution_id: string };
    for (let i = 0; i < 200; i++) {
      const run = await db.run.findUnique({ where: { uuid: execution_id }, select: { status: true } });
      if (run && ["succeeded", "failed", "cancelled"].includes(run.status)) return expect(run.status).toBe("succeeded");
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("the run did not end");
  });
});
