/**
 * Workflows, their immutable versions and the labels that point at them.
 * Every query carries the actor's workspaceId.
 */
import { db } from "../db/client";
import { hasDirectPg, pgDirectQuery } from "../db/pg-direct";
import { directAll, hasDirectSqlite } from "../db/sqlite-direct";
import { validateDefinition, type WorkflowDefinition } from "../engine";
import type { Actor } from "../schemas/workspace";
import { ConflictError, NotFoundError, ValidationError } from "./errors";
import { assertCan } from "./permissions";
import { cachedResolution, catalogChanged, rememberResolution } from "./version-cache";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const WORKFLOW_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Why a well-formed name still cannot be used, or null. A name of digits only would read as a
 * workflow id in /api/v1/workflows/{id-or-name}; `executions` is the Datalab-compatible
 * /api/v1/workflows/executions/{id}, which would shadow that workflow's sub-resources; `new`
 * is the console's create page.
 */
export function reservedWorkflowName(name: string): string | null {
  if (/^\d+$/.test(name)) return "A name of digits only would read as a workflow id: add a letter";
  if (name === "executions") return "'executions' is reserved (it is a path of the Datalab-compatible API)";
  // The console's own page lives at /w/{ws}/workflows/new.
  if (name === "new") return "'new' is reserved in the console; pick another name";
  return null;
}

/** The `where` for a workflow reference: integer id, UUID, or name — always in the workspace. */
function workflowWhere(workspaceId: number, ref: string | number) {
  const s = String(ref).trim();
  if (/^\d+$/.test(s)) {
    // Ids are safe integers. A longer run of digits names no workflow; passed on as a number it
    // would not fit a 64-bit integer, which Prisma refuses on SQLite (a 500 instead of a 404).
    const id = Number(s);
    return { workspaceId, id: Number.isSafeInteger(id) ? id : -1 };
  }
  if (UUID_RE.test(s)) return { workspaceId, uuid: s.toLowerCase() };
  return { workspaceId, name: s };
}

/** The NotFound errors of a workflow reference, worded the same wherever they arise. */
const missing = {
  workflow: (ref: string | number) => new NotFoundError(`Workflow '${ref}'`),
  label: (label: string, workflow: string) => new NotFoundError(`Label '${label}' of workflow '${workflow}'`),
  version: (number: number, workflow: string) => new NotFoundError(`Version ${number} of workflow '${workflow}'`),
  anyVersion: (workflow: string) => new NotFoundError(`A published version of workflow '${workflow}'`),
};

export async function findWorkflow(actor: Actor, ref: string | number) {
  const workflow = await db.workflow.findFirst({ where: { ...workflowWhere(actor.workspaceId, ref), archivedAt: null } });
  if (!workflow) throw missing.workflow(ref);
  return workflow;
}

const workflowSummarySelect = {
  id: true, uuid: true, name: true, title: true, description: true, createdAt: true, updatedAt: true,
  versions: { select: { number: true }, orderBy: { number: "desc" as const }, take: 1 },
  labels: { select: { name: true, updatedAt: true, version: { select: { number: true } } }, orderBy: { name: "asc" as const } },
};

type WorkflowSummaryRow = {
  id: number; uuid: string; name: string; title: string; description: string; createdAt: Date; updatedAt: Date;
  versions: { number: number }[];
  labels: { name: string; updatedAt: Date; version: { number: number } }[];
};

function toWorkflowSummary({ versions, labels, ...w }: WorkflowSummaryRow) {
  return {
    ...w,
    latestVersion: versions[0]?.number ?? null,
    labels: labels.map((l) => ({ name: l.name, version: l.version.number, updatedAt: l.updatedAt })),
  };
}
export type WorkflowSummary = ReturnType<typeof toWorkflowSummary>;

export async function listWorkflows(actor: Actor): Promise<WorkflowSummary[]> {
  const workflows = await db.workflow.findMany({
    where: { workspaceId: actor.workspaceId, archivedAt: null },
    orderBy: { name: "asc" },
    select: workflowSummarySelect,
  });
  return workflows.map(toWorkflowSummary);
}

/** A workflow as the run history's filters offer it. */
export interface WorkflowChoice { id: number; name: string; title: string; latestVersion: number | null; labels: string[] }

// One statement for the filter bar (Prisma reads the same through four, allocating ~170 KB).
// The label names come as a JSON array; the two dialects differ only in that aggregate.
const choicesSql = (labelsAgg: string, param: string) => `
  SELECT w."id", w."name", w."title",
    (SELECT max(v."number") FROM "WorkflowVersion" v WHERE v."workflowId" = w."id") AS "latestVersion",
    (SELECT ${labelsAgg} FROM "Label" l WHERE l."workflowId" = w."id") AS "labels"
  FROM "Workflow" w WHERE w."workspaceId" = ${param} AND w."archivedAt" IS NULL ORDER BY w."name"`;
const CHOICES_SQLITE = choicesSql(`json_group_array(l."name")`, "?");
const CHOICES_PG = choicesSql(`coalesce(json_agg(l."name"), '[]')::text`, "$1");

/** The workspace's live workflows by name, each with its latest version number and label names (sorted). */
export async function listWorkflowChoices(actor: Actor): Promise<WorkflowChoice[]> {
  type Row = { id: unknown; name: string; title: string; latestVersion: unknown; labels: string };
  let rows: Row[];
  if (hasDirectSqlite()) rows = directAll(CHOICES_SQLITE, actor.workspaceId) as Row[];
  else if (hasDirectPg()) rows = await pgDirectQuery<Row>(CHOICES_PG, [actor.workspaceId]);
  else {
    return (await listWorkflows(actor)).map((w) => ({
      id: w.id, name: w.name, title: w.title, latestVersion: w.latestVersion, labels: w.labels.map((l) => l.name),
    }));
  }
  return rows.map((r) => ({
    id: Number(r.id), name: r.name, title: r.title,
    latestVersion: r.latestVersion == null ? null : Number(r.latestVersion),
    labels: (JSON.parse(r.labels) as string[]).sort(),
  }));
}

/** One workflow with its latest version number and labels. */
export async function getWorkflowSummary(actor: Actor, ref: string | number): Promise<WorkflowSummary> {
  const { id } = await findWorkflow(actor, ref);
  const row = await db.workflow.findFirstOrThrow({ where: { id, workspaceId: actor.workspaceId }, select: workflowSummarySelect });
  return toWorkflowSummary(row);
}

/** A workflow's versions, newest first, each with the labels pointing at it. */
export async function listVersions(actor: Actor, ref: string | number) {
  const workflow = await findWorkflow(actor, ref);
  const versions = await db.workflowVersion.findMany({
    where: { workspaceId: actor.workspaceId, workflowId: workflow.id },
    orderBy: { number: "desc" },
    select: { number: true, message: true, createdAt: true, labels: { select: { name: true }, orderBy: { name: "asc" } } },
  });
  return versions.map((v) => ({ ...v, labels: v.labels.map((l) => l.name) }));
}

/** One version with its stored definition. */
export async function getVersion(actor: Actor, ref: string | number, number: number) {
  const workflow = await findWorkflow(actor, ref);
  const version = await db.workflowVersion.findFirst({
    where: { workspaceId: actor.workspaceId, workflowId: workflow.id, number },
    select: { id: true, number: true, message: true, createdAt: true, definition: true, labels: { select: { name: true }, orderBy: { name: "asc" } } },
  });
  if (!version) throw missing.version(number, workflow.name);
  const { definition, labels, ...rest } = version;
  return { ...rest, labels: labels.map((l) => l.name), definition: parseStoredDefinition(version.id, definition) };
}

/** The labels of a workflow and the version each points at. */
export async function listLabels(actor: Actor, ref: string | number) {
  const workflow = await findWorkflow(actor, ref);
  const labels = await db.label.findMany({
    where: { workspaceId: actor.workspaceId, workflowId: workflow.id },
    orderBy: { name: "asc" },
    select: { name: true, updatedAt: true, version: { select: { number: true } } },
  });
  return labels.map((l) => ({ name: l.name, version: l.version.number, updatedAt: l.updatedAt }));
}

/** A workflow with its versions (newest first) and labels, for the workflow page. */
export async function getWorkflowOverview(actor: Actor, ref: string | number) {
  const workflow = await findWorkflow(actor, ref);
  const [versions, labels] = await Promise.all([
    db.workflowVersion.findMany({
      where: { workspaceId: actor.workspaceId, workflowId: workflow.id },
      orderBy: { number: "desc" },
      select: { id: true, number: true, message: true, createdAt: true },
    }),
    db.label.findMany({
      where: { workspaceId: actor.workspaceId, workflowId: workflow.id },
      orderBy: { name: "asc" },
      select: { name: true, updatedAt: true, version: { select: { number: true } } },
    }),
  ]);
  return {
    workflow,
    versions,
    labels: labels.map((l) => ({ name: l.name, version: l.version.number, updatedAt: l.updatedAt })),
  };
}

/** Parsed definitions by version id: versions never change, so this never goes stale. */
const definitionCache = new Map<number, WorkflowDefinition>();

function parseStoredDefinition(versionId: number, json: string): WorkflowDefinition {
  let definition = definitionCache.get(versionId);
  if (!definition) {
    definition = JSON.parse(json) as WorkflowDefinition;
    if (definitionCache.size > 5000) definitionCache.clear();
    definitionCache.set(versionId, definition);
  }
  return definition;
}

/** A stored version's definition by id (callers have checked access to the run or workflow). */
export async function getDefinitionOfVersion(versionId: number): Promise<WorkflowDefinition> {
  const cached = definitionCache.get(versionId);
  if (cached) return cached;
  const version = await db.workflowVersion.findUniqueOrThrow({ where: { id: versionId }, select: { definition: true } });
  return parseStoredDefinition(versionId, version.definition);
}

export interface VersionSelector {
  label?: string | null;
  version?: number | null;
}

/** The exact version a run will use: by label, by number, or the latest. */
export async function resolveVersion(actor: Actor, ref: string | number, selector: VersionSelector = {}) {
  assertOneSelector(selector);
  const key = `${ref}\u0000${selector.label ?? ""}\u0000${selector.version ?? ""}`;
  const cached = cachedResolution<ResolvedVersion>(actor.workspaceId, key);
  if (cached) return cached;
  if (hasDirectPg()) return resolveVersionPg(actor, ref, selector);
  const resolved = await resolveVersionOf(actor, await findWorkflow(actor, ref), selector);
  rememberResolution(actor.workspaceId, key, resolved);
  return resolved;
}

/** What resolveVersion returns. */
export type ResolvedVersion = Awaited<ReturnType<typeof resolveVersionOf>>;

type Workflow = Awaited<ReturnType<typeof findWorkflow>>;

/**
 * resolveVersion on PostgreSQL as one statement (Prisma sends three): the workflow by id, UUID
 * or name, and the version its label, number or "latest" picks. Nothing is cached across
 * requests there, since another process may move a label; the parsed definition is kept
 * per (immutable) version.
 */
async function resolveVersionPg(actor: Actor, ref: string | number, selector: VersionSelector): Promise<ResolvedVersion> {
  const where = workflowWhere(actor.workspaceId, ref) as { id?: number; uuid?: string; name?: string };
  const label = selector.label ?? null;
  const number = label == null ? (selector.version ?? null) : null;
  const [row] = await pgDirectQuery<Workflow & { hasLabel: boolean; vId: number | null; vNumber: number; vCreatedAt: Date; vDefinition: string }>(
    `SELECT w."id", w."uuid", w."workspaceId", w."name", w."title", w."description", w."createdAt", w."updatedAt", w."archivedAt",
            l."id" IS NOT NULL AS "hasLabel", v."id" AS "vId", v."number" AS "vNumber", v."createdAt" AS "vCreatedAt", v."definition" AS "vDefinition"
       FROM "Workflow" w
       LEFT JOIN "Label" l ON $5::text IS NOT NULL AND l."workflowId" = w."id" AND l."name" = $5::text
       LEFT JOIN LATERAL (
         SELECT * FROM "WorkflowVersion" x
          WHERE x."workflowId" = w."id" AND x."workspaceId" = w."workspaceId"
            AND CASE WHEN $5::text IS NOT NULL THEN x."id" = l."versionId" WHEN $6::bigint IS NOT NULL THEN x."number" = $6::bigint ELSE true END
          ORDER BY x."number" DESC LIMIT 1) v ON true
      WHERE w."workspaceId" = $1 AND w."archivedAt" IS NULL
        AND (w."id" = $2::bigint OR w."uuid" = $3::text OR w."name" = $4::text)
      LIMIT 1`,
    [actor.workspaceId, where.id ?? null, where.uuid ?? null, where.name ?? null, label, number],
  );
  if (!row) throw missing.workflow(ref);
  const { hasLabel, vId, vNumber, vCreatedAt, vDefinition, ...workflow } = row;
  if (label != null && !hasLabel) throw missing.label(label, workflow.name);
  if (vId == null) {
    throw number != null ? missing.version(number, workflow.name) : missing.anyVersion(workflow.name);
  }
  return {
    workflow,
    version: { id: vId, number: vNumber, createdAt: vCreatedAt },
    definition: parseStoredDefinition(vId, vDefinition),
  };
}

function assertOneSelector(selector: VersionSelector) {
  if (selector.label && selector.version != null) {
    throw new ValidationError([
      { loc: ["body", "version"], msg: "Give either a label or a version number, not both", type: "value_error" },
    ]);
  }
}

/** resolveVersion for a workflow row the caller already loaded (in the actor's workspace). */
export async function resolveVersionOf(
  actor: Actor,
  workflow: Awaited<ReturnType<typeof findWorkflow>>,
  selector: VersionSelector = {},
) {
  assertOneSelector(selector);
  const where = { workspaceId: actor.workspaceId, workflowId: workflow.id };
  let version;
  if (selector.label) {
    const label = await db.label.findFirst({ where: { ...where, name: selector.label }, select: { version: true } });
    if (!label) throw missing.label(selector.label, workflow.name);
    version = label.version;
  } else if (selector.version != null) {
    version = await db.workflowVersion.findFirst({ where: { ...where, number: selector.version } });
    if (!version) throw missing.version(selector.version, workflow.name);
  } else {
    version = await db.workflowVersion.findFirst({ where, orderBy: { number: "desc" } });
    if (!version) throw missing.anyVersion(workflow.name);
  }
  return {
    workflow,
    version: { id: version.id, number: version.number, createdAt: version.createdAt },
    definition: parseStoredDefinition(version.id, version.definition),
  };
}

function definitionOrThrow(raw: unknown): WorkflowDefinition {
  const result = validateDefinition(raw);
  if (!result.ok) {
    throw new ValidationError(
      result.errors.map((e) => ({ loc: ["definition", ...e.path], msg: e.message, type: "value_error" })),
      `The workflow definition is invalid: ${result.errors.map((e) => e.message).join("; ")}`,
    );
  }
  return result.definition;
}

export interface CreateWorkflowInput {
  name: string;
  title?: string;
  description?: string;
  definition: unknown;
  labels?: string[];
  /** The first version's message. */
  message?: string;
}

/** Creates a workflow with its first version (v1), optionally pointing labels at it. */
export async function createWorkflow(actor: Actor, input: CreateWorkflowInput) {
  assertCan(actor, "edit");
  if (!WORKFLOW_NAME_RE.test(input.name)) {
    throw new ValidationError([
      { loc: ["body", "name"], msg: "Use lower-case letters, digits, '-' and '_' (max 63)", type: "value_error" },
    ]);
  }
  const reserved = reservedWorkflowName(input.name);
  if (reserved) throw new ValidationError([{ loc: ["body", "name"], msg: reserved, type: "value_error" }]);
  const definition = definitionOrThrow(input.definition);
  const exists = await db.workflow.findFirst({ where: { workspaceId: actor.workspaceId, name: input.name } });
  if (exists) throw new ConflictError(`A workflow named '${input.name}' already exists`);
  return db.$transaction(async (tx) => {
    const workflow = await tx.workflow.create({
      data: {
        workspaceId: actor.workspaceId,
        name: input.name,
        title: input.title ?? input.name,
        description: input.description ?? "",
      },
    });
    const version = await tx.workflowVersion.create({
      data: {
        workspaceId: actor.workspaceId, workflowId: workflow.id, number: 1,
        definition: JSON.stringify(definition), createdById: actor.userId, message: input.message?.trim() || "Initial version",
      },
    });
    for (const label of new Set(input.labels ?? [])) await moveLabel(tx, actor, workflow.id, label, version);
    return workflow;
  }).catch((error) => {
    if (isUniqueViolation(error)) throw new ConflictError(`A workflow named '${input.name}' already exists`);
    throw error;
  }).finally(() => catalogChanged(actor.workspaceId));
}

/** Publishes the next immutable version of a workflow, optionally moving labels to it. */
export async function publishVersion(actor: Actor, ref: string | number, rawDefinition: unknown, message = "", labels: string[] = []) {
  assertCan(actor, "edit");
  const workflow = await findWorkflow(actor, ref);
  const definition = definitionOrThrow(rawDefinition);
  const publish = () => db.$transaction(async (tx) => {
    // First, so it takes the workflow row's lock: concurrent publishes then read the latest
    // number one after another (PostgreSQL runs them side by side; SQLite has one writer).
    await tx.workflow.update({ where: { id: workflow.id }, data: { updatedAt: new Date() } });
    const last = await tx.workflowVersion.findFirst({
      where: { workspaceId: actor.workspaceId, workflowId: workflow.id },
      orderBy: { number: "desc" },
      select: { number: true },
    });
    const version = await tx.workflowVersion.create({
      data: {
        workspaceId: actor.workspaceId, workflowId: workflow.id, number: (last?.number ?? 0) + 1,
        definition: JSON.stringify(definition), createdById: actor.userId, message,
      },
    });
    for (const label of new Set(labels)) await moveLabel(tx, actor, workflow.id, label, version);
    return version;
  });
  try {
    // Two publishes at once race for the same number: the loser tries again with the next.
    for (let attempt = 1; ; attempt++) {
      try {
        return await publish();
      } catch (error) {
        if (attempt >= 3 || !isUniqueViolation(error)) throw error;
      }
    }
  } finally {
    catalogChanged(actor.workspaceId);
  }
}

/** A unique-constraint violation, from either driver. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === "P2002" || /unique constraint/i.test(e?.message ?? "");
}

type Tx = Parameters<Parameters<typeof db.$transaction>[0]>[0];

/** Points a label at a version inside a transaction (creating it if needed) and records the move. */
async function moveLabel(tx: Tx, actor: Actor, workflowId: number, label: string, version: { id: number; number: number }) {
  const where = { workspaceId: actor.workspaceId, workflowId };
  const current = await tx.label.findFirst({ where: { ...where, name: label }, select: { id: true, version: { select: { number: true } } } });
  if (current) await tx.label.update({ where: { id: current.id }, data: { versionId: version.id } });
  else await tx.label.create({ data: { ...where, name: label, versionId: version.id } });
  await tx.labelMove.create({
    data: {
      ...where, label, fromVersionNumber: current?.version.number ?? null, toVersionNumber: version.number,
      movedById: actor.userId, movedByApiKeyId: actor.apiKeyId,
    },
  });
}

/** Points a label at a version (creating the label if needed) and records the move. */
export async function setLabel(actor: Actor, ref: string | number, label: string, versionNumber: number) {
  assertCan(actor, "edit");
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(label)) {
    throw new ValidationError([{ loc: ["path", "label"], msg: "Invalid label name", type: "value_error" }]);
  }
  const workflow = await findWorkflow(actor, ref);
  const version = await db.workflowVersion.findFirst({
    where: { workspaceId: actor.workspaceId, workflowId: workflow.id, number: versionNumber },
  });
  if (!version) throw missing.version(versionNumber, workflow.name);
  return db.$transaction(async (tx) => {
    // The workflow row's lock orders concurrent moves of a label (see publishVersion).
    await tx.$executeRaw`UPDATE "Workflow" SET "id" = "id" WHERE "id" = ${workflow.id}`;
    await moveLabel(tx, actor, workflow.id, label, version);
    return { label, version: versionNumber };
  }).finally(() => catalogChanged(actor.workspaceId));
}
