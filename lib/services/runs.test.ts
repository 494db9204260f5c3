/**
 * Integration: the runs service on a real database with the in-process executor —
 * storing and executing a run, the gap-free event log, validation that stores nothing,
 * roles, and that no workspace can reach another's workflows, runs or files.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../db/migrate";
import { db } from "../db/client";
import { shutdownSandboxPool } from "../engine";
import { demoWorkflows } from "../demo/workflows";
import type { Actor } from "../schemas/workspace";
import { NotFoundError, ValidationError, ForbiddenError } from "./errors";
import { saveUploadedFile, readFileBytes } from "./files";
import { cancelRun, getRunDetail, listRuns, startRun } from "./runs";
import { createShareLink, getSharedRun } from "./share-links";
import { createWorkflow, findWorkflow, resolveVersion } from "./workflows";
import { createWorkspace } from "./workspaces";
import { seedDemo } from "./demo-seed";

let a: Actor;
let b: Actor;

async function waitForRun(actor: Actor, uuid: string) {
  for (let i = 0; i < 200; i++) {
    const run = await getRunDetail(actor, uuid);
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("run did not finish");
}

const greet = demoWorkflows.find((w) => w.name === "greet")!;
const docStats = demoWorkflows.find((w) => w.name === "document-stats")!;

beforeAll(async () => {
  await applyMigrations();
  const [ua, ub] = await Promise.all([
    db.user.create({ data: { email: "a@example.test" } }),
    db.user.create({ data: { email: "b@example.test" } }),
  ]);
  a = await createWorkspace(ua.id, { slug: "team-a", name: "A" });
  b = await createWorkspace(ub.id, { slug: "team-b", name: "B" });
  for (const actor of [a, b]) {
    await createWorkflow(actor, { name: "greet", definition: greet.versions[0], labels: ["production"] });
    await createWorkflow(actor, { name: "document-stats", definition: docStats.versions[0] });
  }
});

afterAll(async () => {
  await shutdownSandboxPool();
  await db.$disconnect();
});

describe("runs service", () => {
  it("stores a run before returning, executes it, and logs gap-free events", async () => {
    const started = await startRun(a, { workflow: "greet", label: "production", inputs: { name: "Ada" }, origin: "api" });
    expect(["queued", "running"]).toContain(started.status);
    expect(await db.run.count({ where: { id: started.id } })).toBe(1);
    const run = await waitForRun(a, started.uuid);
    expect(run.status).toBe("succeeded");
    expect(run.outputs).toEqual({ greeting: "HELLO, ADA!", length: 11 });
    expect(run.label).toBe("production");
    expect(run.versionNumber).toBe(1);
    const events = await db.runEvent.findMany({ where: { runId: started.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0].type).toBe("run_started");
    expect(events.at(-1)!.type).toBe("run_finished");
    expect(run.steps.map((s) => [s.stepId, s.status]).sort()).toEqual([
      ["greet", "succeeded"], ["result", "succeeded"], ["shout", "succeeded"],
    ]);
  });

  it("accepts inputs as a typed list and warns about unknown ones", async () => {
    const started = await startRun(a, {
      workflow: "greet", inputs: [{ name: "name", value: "Bo" }, { name: "colour", value: "red" }], origin: "api",
    });
    expect(started.warnings.join()).toMatch(/colour/);
    expect((await waitForRun(a, started.uuid)).outputs).toEqual({ greeting: "HELLO, BO!", length: 10 });
  });

  it("rejects bad input with a detail per field and stores nothing", async () => {
    const before = await db.run.count();
    await expect(startRun(a, { workflow: "greet", inputs: { name: 42 }, origin: "api" })).rejects.toBeInstanceOf(ValidationError);
    const err = await startRun(a, { workflow: "document-stats", inputs: {}, origin: "api" }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.detail[0].loc).toEqual(["inputs", "document"]);
    await expect(startRun(a, { workflow: "nope", inputs: {}, origin: "api" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(startRun(a, { workflow: "greet", label: "gone", origin: "api" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(startRun(a, { workflow: "greet", label: "production", version: 1, origin: "api" })).rejects.toBeInstanceOf(ValidationError);
    const html = await saveUploadedFile(a, { name: "page.html", type: "text/html", bytes: new TextEncoder().encode("<p>x</p>") });
    const wrongKind = await startRun(a, { workflow: "document-stats", inputs: { document: { id: html.id } }, origin: "api" }).catch((e) => e);
    expect(wrongKind).toBeInstanceOf(ValidationError);
    expect(wrongKind.message).toMatch(/not accepted/);
    expect(await db.run.count()).toBe(before);
  });

  it("runs the file workflow on an uploaded CSV", async () => {
    const csv = await saveUploadedFile(a, { name: "t.csv", type: "text/csv", bytes: new TextEncoder().encode("a,b\n1,2\n3,4\n") });
    const started = await startRun(a, { workflow: "document-stats", inputs: { document: csv.id }, origin: "api" });
    const run = await waitForRun(a, started.uuid);
    expect(run.status).toBe("succeeded");
    expect(run.outputs?.stats).toMatchObject({ format: "csv", rows: 2, columns: ["a", "b"] });
    expect(String(run.outputs?.report)).toContain("t.csv");
  });

  it("runs the form showcase with every input type", async () => {
    const showcase = demoWorkflows.find((w) => w.name === "form-showcase")!;
    await createWorkflow(a, { name: "form-showcase", definition: showcase.versions[0] });
    const started = await startRun(a, {
      workflow: "form-showcase", origin: "ui",
      inputs: { title: "Q3", count: "2", loud: "true", tone: "formal", settings: '{"currency":"USD"}' },
    });
    const run = await waitForRun(a, started.uuid);
    expect(run.outputs?.summary).toEqual({ title: "Q3", items: ["1. formal", "2. formal"], settings: { currency: "USD" }, attachments: 0 });
  });

  it("does not let a viewer start runs", async () => {
    await expect(startRun({ ...a, role: "viewer" }, { workflow: "greet", origin: "ui" })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("cancels a running run promptly, interrupting its sandboxed code", async () => {
    await createWorkflow(a, {
      name: "spin",
      definition: {
        inputs: [],
        steps: [{ id: "loop", kind: "code", timeout_ms: 20_000, config: { code: "while (true) {}" } }],
        outputs: {},
      },
    });
    const started = await startRun(a, { workflow: "spin", origin: "api" });
    for (let i = 0; i < 100 && (await getRunDetail(a, started.uuid)).status !== "running"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = Date.now();
    await cancelRun(a, started.uuid);
    const run = await waitForRun(a, started.uuid);
    expect(run.status).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("tenancy", () => {
  it("answers NotFound for another workspace's workflows, runs, files and share links", async () => {
    const wfA = await findWorkflow(a, "greet");
    await expect(findWorkflow(b, wfA.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(findWorkflow(b, wfA.uuid)).rejects.toBeInstanceOf(NotFoundError);
    await expect(resolveVersion(b, wfA.id)).rejects.toBeInstanceOf(NotFoundError);
    // b's own "greet" is a different workflow.
    expect((await findWorkflow(b, "greet")).id).not.toBe(wfA.id);

    const runA = await startRun(a, { workflow: "greet", inputs: { name: "Secret" }, origin: "api" });
    await waitForRun(a, runA.uuid);
    await expect(getRunDetail(b, runA.uuid)).rejects.toBeInstanceOf(NotFoundError);
    await expect(cancelRun(b, runA.uuid)).rejects.toBeInstanceOf(NotFoundError);
    await expect(createShareLink(b, runA.uuid)).rejects.toBeInstanceOf(NotFoundError);
    const listed = await listRuns(b);
    expect(listed.runs.some((r) => r.uuid === runA.uuid)).toBe(false);

    const fileA = await saveUploadedFile(a, { name: "a.txt", type: "text/plain", bytes: new TextEncoder().encode("hi") });
    await expect(readFileBytes(b.workspaceId, fileA.id)).rejects.toBeInstanceOf(NotFoundError);
    const foreign = await startRun(b, { workflow: "document-stats", inputs: { document: fileA.id }, origin: "api" }).catch((e) => e);
    expect(foreign).toBeInstanceOf(ValidationError);
    expect(foreign.message).toMatch(/Unknown file/);
  });

  it("share links show one run, hide inputs unless allowed, and refuse bad tokens", async () => {
    const run = await startRun(a, { workflow: "greet", inputs: { name: "Share" }, origin: "api" });
    await waitForRun(a, run.uuid);
    const hidden = await createShareLink(a, run.uuid);
    expect(hidden.token.length).toBeGreaterThanOrEqual(32);
    const shared = await getSharedRun(hidden.token);
    expect(shared.run.uuid).toBe(run.uuid);
    expect(shared.run.inputs).toBeNull();
    expect(shared.run.outputs).toEqual({ greeting: "HELLO, SHARE!", length: 13 });
    const withInputs = await createShareLink(a, run.uuid, { includeInputs: true });
    expect((await getSharedRun(withInputs.token)).run.inputs).toEqual({ name: "Share" });
    const stored = await db.shareLink.findFirst({ where: { id: hidden.id } });
    expect(stored?.tokenHash).not.toContain(hidden.token);
    await expect(getSharedRun("x".repeat(32))).rejects.toBeInstanceOf(NotFoundError);
    // The service refuses a past expiry, so let a live link's time run out in the database.
    const expired = await createShareLink(a, run.uuid, { expiresAt: new Date(Date.now() + 60_000) });
    await db.shareLink.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(getSharedRun(expired.token)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("demo seed", () => {
  it("creates the demo once, with labels on different versions", async () => {
    expect(await seedDemo()).toEqual({ seeded: true });
    expect(await seedDemo()).toEqual({ seeded: false });
    const labels = await db.label.findMany({
      where: { workflow: { name: "greet", workspace: { slug: "demo" } } },
      select: { name: true, version: { select: { number: true } } },
      orderBy: { name: "asc" },
    });
    expect(labels.map((l) => [l.name, l.version.number])).toEqual([["production", 1], ["staging", 2]]);
  });
});
