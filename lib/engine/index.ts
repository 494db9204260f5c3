/**
 * Flowdeck's workflow engine: definitions, input validation, templates, planning, step kinds
 * and execution. Plain TypeScript: no Next.js, Prisma or app imports.
 */
export {
  DEFAULT_RETRY_BACKOFF_MS, DEFAULT_TIMEOUT_MS, MAX_RETRIES,
  inputSpecSchema, inputTypeSchema, stepSpecSchema, validateDefinition, workflowDefinitionSchema,
  type DefinitionError, type DefinitionValidation, type InputSpec, type InputType, type StepSpec, type WorkflowDefinition,
} from "./definition";
export { importDefinition, MAX_DEFINITION_CHARS, parseDefinitionText, type ParsedDocument } from "./definition-import";
export { buildInputsSchema, fileRefSchema, validateInputs, type FileRef, type InputError } from "./inputs";
export {
  findReferences, isFalsyText, lookupPath, parsePath, renderTemplate, resolveValueTemplate, stringifyValue, templatePaths,
  type TemplateScope,
} from "./template";
export { forEachString, planWorkflow, referencedSteps, resolveStepRef, type PlannableStep, type WorkflowPlan } from "./planner";
export {
  engineEventSchema, logLevelSchema, runStatusSchema, stepStatusSchema,
  type EngineEvent, type EngineEventType, type RunStatus, type StepStatus,
} from "./events";
export { csvToRows, CsvError, parseCsv } from "./csv";
export {
  branchStep, codeStep, defineStepKind, extractStep, mapStep, getStepKind, registerStepKind, StepError, stepKinds, templateStep, transformStep,
  type EnginePorts, type NestedOutcome, type NestedRunOptions, type StepContext, type StepEmittedEvent, type StepKind, type StepScope,
} from "./steps";
export type { ExtractOutput } from "./steps/extract";
export { chunkStep, MAX_CHUNK_SIZE, MAX_CHUNKS, type ChunkOutput } from "./steps/chunk";
export { splitText, type ChunkBoundary, type SplitOptions, type TextChunk } from "./chunk/split-text";
export { detectFormat, DOCUMENT_FORMATS, type DocumentFormat } from "./extract/detect";
export { httpStep, type HttpOutput } from "./steps/http";
export { conditionSyntaxError, evaluateCondition, isTemplateCondition } from "./condition";
export { compileJsonata, evaluateJsonata, jsonataSyntaxError, toPlainJson } from "./jsonata";
export type { BranchOutput } from "./steps/branch";
export type { MapOutput } from "./steps/map";
export {
  LLM_PROVIDER_SECRET_EXAMPLE, llmProviderSecretSchema, llmStep,
  type LlmOutput, type LlmProviderSecret, type LlmUsage,
} from "./steps/llm";
export { executeWorkflow, type ExecuteWorkflowOptions, type RunOutcome } from "./run-workflow";
export { errorInfo, runStep, type StepResult, type StepRunEnv } from "./run-step";
export {
  getSandboxPool, SandboxPool, sandboxWorkerPath, shutdownSandboxPool,
  type SandboxJob, type SandboxResult, type SandboxRunOptions,
} from "./sandbox/pool";
