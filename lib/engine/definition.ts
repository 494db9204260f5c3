/**
 * The workflow definition: typed inputs, steps (a DAG) and output templates, with a
 * validator that checks shape, per-kind config, references and cycles.
 */
import { z } from "zod";
import { buildInputsSchema } from "./inputs";
import { forEachString, planWorkflow, referencedSteps, resolveStepRef } from "./planner";
import { getStepKind, stepKinds } from "./steps";
import { findReferences, templatePaths } from "./template";

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
  if: z.string().optional(),
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
    return check(raw);
  } catch (error) {
    return { ok: false, errors: [{ path: [], message: `Could not validate the definition: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

function check(raw: unknown): DefinitionValidation {
  const parsed = workflowDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => ({ path: i.path.map(pathKey), message: i.message })) };
  }
  const def = parsed.data;
  const errors: DefinitionError[] = [];

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
      } else if (checkRoots && typeof root === "string" && !TEMPLATE_ROOTS.has(root)) {
        errors.push({ path, message: `'{{ ${formatPath(p)} }}' must start with inputs., steps. or run.` });
      }
    }
  };

  def.steps.forEach((step, i) => {
    const kind = getStepKind(step.kind);
    if (!kind) {
      errors.push({ path: ["steps", i, "kind"], message: `Unknown step kind '${step.kind}' (known: ${Object.keys(stepKinds).join(", ")})` });
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
    for (const ref of referencedSteps(step)) {
      if (!needs.has(ref) && resolveStepRef(ref, stepIds) === null) {
        errors.push({ path: ["steps", i], message: `Step '${step.id}' refers to unknown step '${ref}'` });
      }
    }
    forEachString(step.config, (s) => checkTemplateInputs(s, ["steps", i, "config"], false));
    if (step.if) checkTemplateInputs(step.if, ["steps", i, "if"], true);
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

function pathKey(key: PropertyKey): string | number {
  return typeof key === "number" ? key : String(key);
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
