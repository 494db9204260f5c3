/** The step kinds the engine knows, by name. */
import { branchStep } from "./branch";
import { chunkStep } from "./chunk";
import { codeStep } from "./code";
import { delayStep } from "./delay";
import { extractStep } from "./extract";
import { httpStep } from "./http";
import { llmStep } from "./llm";
import { mapStep } from "./map";
import { templateStep } from "./template";
import { transformStep } from "./transform";
import type { StepKind } from "./types";

/** Registry of step kinds. */
export const stepKinds: Record<string, StepKind> = {
  [templateStep.kind]: templateStep,
  [codeStep.kind]: codeStep,
  [transformStep.kind]: transformStep,
  [extractStep.kind]: extractStep,
  [delayStep.kind]: delayStep,
  [branchStep.kind]: branchStep,
  [mapStep.kind]: mapStep,
  [llmStep.kind]: llmStep,
  [httpStep.kind]: httpStep,
  [chunkStep.kind]: chunkStep,
};

/** The kind with this name, or undefined. */
export function getStepKind(kind: string): StepKind | undefined {
  return Object.hasOwn(stepKinds, kind) ? stepKinds[kind] : undefined;
}

/** Adds (or replaces) a step kind; used by hosts and tests to plug in extra kinds. */
export function registerStepKind(kind: StepKind): void {
  stepKinds[kind.kind] = kind;
}

export { branchStep, chunkStep, codeStep, delayStep, mapStep, extractStep, httpStep, llmStep, templateStep, transformStep };
export { defineStepKind, StepError, type EnginePorts, type NestedOutcome, type NestedRunOptions, type StepContext, type StepEmittedEvent, type StepKind, type StepScope } from "./types";
