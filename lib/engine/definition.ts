/**
 * The workflow definition: typed inputs, steps (a DAG) and output templates, with a
 * validator that checks shape, per-kind config, references and cycles.
 */
import { z } from "zod";
import { conditionSyntaxError, isTemplateCondition } from "./condition";
import { buildInputsSchema } from "./inputs";
import { forEachString, planWorkflow, referencedSteps, resolveStepRef } from "./planner";
import { getStepKind, stepKinds } from "./steps";
import { findReferences, templatePaths } from "./template";
import { clipText } from "../text/clip";

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const STEP_ID_RE = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** Default step time limit. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default base delay between retries (doubles each attempt). */
export const DEFAULT_RETRY_BACKOFF_MS = 200;
/** Most retries a step may ask for. */
export const MAX_RETRIES = 5;

/** The types an input can have. */
export const inputTypeSchema = z.enum(["text", "number", "boolean", "select", "json", "file", "file_list"]);

/** One typed input of a workflow. */
export const inputSpecSchema = z
  .object({
    name: z.string().regex(NAME_RE, "must start with a letter or _ and contain only letters, digits and _"),
    type: inputTypeSchema,
    label: z.string().optional(),
    description: z.string().optional(),
    required: z.boolean().default(true),
    default: z.unknown().optional(),
    options: z.array(z.string()).min(1).optional(),
    multiline: z.boolean().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    accept: z.array(z.string().min(1)).optional(),
    max_size: z.number().int().positive().optional(),
    max_files: z.number().int().positive().optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.type === "select" && !spec.options) {
      ctx.addIssue({ code: "custom", path: ["options"], message: "a select input needs a list of options" });
    }
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
      ctx.addIssue({ code: "custom", path: ["min"], message: "min must not be greater than max" });
    }
  });

/** One step of a workflow; `config` is checked against the kind's own schema. */
export const stepSpecSchema = z.object({
  id: z.string().regex(STEP_ID_RE, "must start with a letter or _ and contain only letters, digits, _ and -"),
  kind: z.string().min(1),
  name: z.string().optional(),
  needs: z.array(z.string()).optional(),
  /** A condition: a `{{ template }}` or a JSONata expression (see condition.ts). */
  if: z.string().optional(),
  /** `all` (default): skipped when any dependency was skipped; `any`: runs unless every one was (joins branch paths). */
  join: z.enum(["all", "any"]).default("all"),
  timeout_ms: z.number().int().positive().max(3_600_000).default(DEFAULT_TIMEOUT_MS),
  retries: z.number().int().min(0).max(MAX_RETRIES).default(0),
  retry_backoff_ms: z.number().int().min(0).max(60_000).default(DEFAULT_RETRY_BACKOFF_MS),
  config: z.unknown(),
});

/** A workflow version's definition. */
export const workflowDefinitionSchema = z.object({
  inputs: z.array(inputSpecSchema).default([]),
  steps: z.array(stepSpecSchema).min(1, "a workflow needs at least one step"),
  outputs: z.record(z.string(), z.string()).default({}),
});

/** One typed input of a workflow. */
export type InputSpec = z.output<typeof inputSpecSchema>;
/** An input type name. */
export type InputType = z.output<typeof inputTypeSchema>;
/** One step of a workflow. */
export type StepSpec = z.output<typeof stepSpecSchema>;
/** A validated workflow definition (defaults applied). */
export type WorkflowDefinition = z.output<typeof workflowDefinitionSchema>;

/** One problem in a definition; `path` points into the raw document. */
export interface DefinitionError {
  path: (string | number)[];
  message: string;
}

/** Result of validateDefinition. */
export type DefinitionValidation = { ok: true; definition: WorkflowDefinition } | { ok: false; errors: DefinitionError[] };

const TEMPLATE_ROOTS = new Set(["inputs", "steps", "run"]);

/** Checks a raw definition: shape, kinds, per-kind config, references, cycles. Never throws. */
export function validateDefinition(raw: unknown): DefinitionValidation {
  try {
    return check(raw, TOP_LEVEL);
  } catch (error) {
    return { ok: false, errors: [{ path: [], message: `Could not validate the definition: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

/** Where a list of steps sits: the workflow itself, or nested inside a map. */
interface CheckContext {
  /** Template roots allowed besides inputs/steps/run (`item`, `index` inside a map). */
  extraRoots: ReadonlySet<string>;
  /** Step ids of the enclosing workflow, which nested steps may refer to. */
  outerStepIds: ReadonlySet<string>;
  /** Nesting depth (maps inside maps), capped. */
  depth: number;
}

const TOP_LEVEL: CheckContext = { extraRoots: new Set(), outerStepIds: new Set(), depth: 0 };
/** Deepest nesting of maps. */
const MAX_NESTING = 3;

function check(raw: unknown, context: CheckContext): DefinitionValidation {
  const parsed = workflowDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => ({ path: i.path.map(pathKey), message: i.message })) };
  }
  const def = parsed.data;
  const errors: DefinitionError[] = [];
  const roots = new Set([...TEMPLATE_ROOTS, ...context.extraRoots]);

  const inputNames = new Set<string>();
  def.inputs.forEach((spec, i) => {
    if (inputNames.has(spec.name)) errors.push({ path: ["inputs", i, "name"], message: `Duplicate input name '${spec.name}'` });
    inputNames.add(spec.name);
    if (spec.default !== undefined) {
      const result = buildInputsSchema([{ ...spec, default: undefined }]).safeParse({ [spec.name]: spec.default });
      if (!result.success) errors.push({ path: ["inputs", i, "default"], message: `Invalid default: ${result.error.issues[0].message}` });
    }
  });

  const stepIds = new Set<string>();
  let duplicateSteps = false;
  def.steps.forEach((step, i) => {
    if (stepIds.has(step.id)) {
      duplicateSteps = true;
      errors.push({ path: ["steps", i, "id"], message: `Duplicate step id '${step.id}'` });
    }
    stepIds.add(step.id);
  });

  const checkTemplateInputs = (text: string, path: (string | number)[], checkRoots: boolean) => {
    for (const p of templatePaths(text)) {
      const root = p[0];
      if (root === "inputs" && p.length > 1 && !inputNames.has(String(p[1]))) {
        errors.push({ path, message: `Unknown input '${p[1]}' in '{{ ${formatPath(p)} }}'` });
      } else if (checkRoots && typeof root === "string" && !roots.has(root)) {
        errors.push({ path, message: `'{{ ${formatPath(p)} }}' must start with ${listOr([...roots].map((r) => `${r}.`))}` });
      }
    }
  };

  const knownStepIds = new Set([...stepIds, ...context.outerStepIds]);
  def.steps.forEach((step, i) => {
    if (context.outerStepIds.has(step.id)) {
      errors.push({ path: ["steps", i, "id"], message: `Step id '${step.id}' is already used outside this map` });
    }
    const kind = getStepKind(step.kind);
    if (!kind) {
      errors.push({ path: ["steps", i, "kind"], message: `Unknown step kind '${clipText(String(step.kind), 60)}' (known: ${Object.keys(stepKinds).join(", ")})` });
    } else {
      const config = kind.configSchema.safeParse(step.config);
      if (!config.success) {
        for (const issue of config.error.issues) {
          errors.push({ path: ["steps", i, "config", ...issue.path.map(pathKey)], message: `Step '${step.id}': ${issue.message}` });
        }
      }
    }
    (step.needs ?? []).forEach((need, j) => {
      if (!stepIds.has(need)) errors.push({ path: ["steps", i, "needs", j], message: `Step '${step.id}' needs unknown step '${need}'` });
    });
    const needs = new Set(step.needs ?? []);
    const nested = kind?.nested?.(step.config) ?? null;
    const innerIds = nestedStepIds(nested?.steps);
    for (const ref of referencedSteps(step)) {
      if (!needs.has(ref) && resolveStepRef(ref, knownStepIds) === null && resolveStepRef(ref, innerIds) === null) {
        errors.push({ path: ["steps", i], message: `Step '${step.id}' refers to unknown step '${ref}'` });
      }
    }
    for (const gated of kind?.gates?.(step.config) ?? []) {
      if (gated === step.id) errors.push({ path: ["steps", i, "config"], message: `Branch '${step.id}' cannot gate itself` });
      else if (!stepIds.has(gated)) errors.push({ path: ["steps", i, "config"], message: `Branch '${step.id}' names unknown step '${gated}'` });
    }
    if (nested) errors.push(...checkNested(nested, def, stepIds, ["steps", i, "config", "steps"], context));
    else forEachString(step.config, (s) => checkTemplateInputs(s, ["steps", i, "config"], false));
    if (step.if) {
      const problem = conditionSyntaxError(step.if);
      if (problem) errors.push({ path: ["steps", i, "if"], message: `Step '${step.id}': ${problem}` });
      else if (isTemplateCondition(step.if)) checkTemplateInputs(step.if, ["steps", i, "if"], true);
    }
  });

  for (const [name, tpl] of Object.entries(def.outputs)) {
    for (const ref of findReferences(tpl).steps) {
      if (resolveStepRef(ref, stepIds) === null) errors.push({ path: ["outputs", name], message: `Output '${name}' refers to unknown step '${ref}'` });
    }
    checkTemplateInputs(tpl, ["outputs", name], true);
  }

  if (!duplicateSteps) {
    const { cycle } = planWorkflow(def);
    if (cycle) errors.push({ path: ["steps"], message: `Steps form a dependency cycle: ${cycle.join(" → ")}` });
  }

  return errors.length ? { ok: false, errors } : { ok: true, definition: def };
}

/** Validates a map's nested steps as a sub-workflow; error paths point into the outer document. */
function checkNested(
  nested: { steps: unknown; roots: string[] },
  outer: WorkflowDefinition,
  outerIds: ReadonlySet<string>,
  at: (string | number)[],
  context: CheckContext,
): DefinitionError[] {
  if (context.depth + 1 > MAX_NESTING) return [{ path: at, message: `Maps can be nested at most ${MAX_NESTING} deep` }];
  const result = check(
    { inputs: outer.inputs, steps: nested.steps },
    {
      extraRoots: new Set([...context.extraRoots, ...nested.roots]),
      outerStepIds: new Set([...context.outerStepIds, ...outerIds]),
      depth: context.depth + 1,
    },
  );
  if (result.ok) return [];
  return result.errors.map((e) => ({
    // The sub-check sees { inputs, steps }; drop its leading "steps" since `at` already ends there.
    path: [...at, ...(e.path[0] === "steps" ? e.path.slice(1) : e.path)],
    message: e.message,
  }));
}

/** Ids of a nested steps list, as far as they can be read. */
function nestedStepIds(steps: unknown): Set<string> {
  const ids = new Set<string>();
  if (Array.isArray(steps)) for (const s of steps) if (s && typeof s === "object" && typeof (s as { id?: unknown }).id === "string") ids.add((s as { id: string }).id);
  return ids;
}

/** "a, b or c". */
function listOr(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function pathKey(key: PropertyKey): string | number {
  return typeof key === "number" ? key : String(key);
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
