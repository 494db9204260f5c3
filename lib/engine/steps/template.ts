/** Template step: renders `{{ … }}` placeholders; a lone placeholder keeps the value's type. */
import { z } from "zod";
import { resolveValueTemplate } from "../template";
import { defineStepKind } from "./types";

const configSchema = z.object({ template: z.string() });

/** The "template" step kind. */
export const templateStep = defineStepKind<z.output<typeof configSchema>>({
  kind: "template",
  configSchema,
  async run({ config, scope }) {
    return resolveValueTemplate(config.template, scope);
  },
});
