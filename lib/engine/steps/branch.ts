/**
 * Branch step: picks one path by condition. Each case lists the steps on its path; the first
 * case whose `when` holds is taken (else the `else` path). Steps on the paths not taken are
 * marked skipped, and so are the steps that depend on them — a step that joins the paths
 * sets `join: any`.
 */
import { z } from "zod";
import { conditionSyntaxError, evaluateCondition } from "../condition";
import { defineStepKind } from "./types";

const stepList = z.array(z.string().min(1)).default([]);

const condition = z.string().superRefine((text, ctx) => {
  const problem = conditionSyntaxError(text);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const configSchema = z
  .object({
    cases: z
      .array(z.object({ name: z.string().min(1).optional(), when: condition, steps: stepList }))
      .min(1, "a branch needs at least one case"),
    else: stepList,
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, string>();
    const claim = (id: string, where: string, path: (string | number)[]) => {
      const first = seen.get(id);
      if (first) ctx.addIssue({ code: "custom", path, message: `Step '${id}' is on two paths (${first} and ${where})` });
      else seen.set(id, where);
    };
    config.cases.forEach((c, i) => c.steps.forEach((id, j) => claim(id, pathName(c, i), ["cases", i, "steps", j])));
    config.else.forEach((id, j) => claim(id, "else", ["else", j]));
  });

type BranchConfig = z.output<typeof configSchema>;

function pathName(c: { name?: string }, index: number): string {
  return c.name ?? `case ${index + 1}`;
}

/** What a branch step returns: the path taken and the steps it skips. */
export interface BranchOutput {
  path: string;
  taken: string[];
  skipped: string[];
}

/** The "branch" step kind. */
export const branchStep = defineStepKind<BranchConfig>({
  kind: "branch",
  configSchema,
  gates(raw) {
    const parsed = configSchema.safeParse(raw);
    if (!parsed.success) return [];
    return [...parsed.data.cases.flatMap((c) => c.steps), ...parsed.data.else];
  },
  async run({ config, scope, signal, timeoutMs, emit }): Promise<BranchOutput> {
    let chosen = -1;
    for (let i = 0; i < config.cases.length && chosen < 0; i++) {
      if (await evaluateCondition(config.cases[i].when, scope, { timeoutMs, signal })) chosen = i;
    }
    const taken = chosen >= 0 ? config.cases[chosen].steps : config.else;
    const path = chosen >= 0 ? pathName(config.cases[chosen], chosen) : "else";
    const all = [...config.cases.flatMap((c) => c.steps), ...config.else];
    const skipped = all.filter((id) => !taken.includes(id));
    emit({ type: "log", level: "info", message: `Took ${path}${taken.length ? ` (${taken.join(", ")})` : ""}` });
    return { path, taken, skipped };
  },
});
