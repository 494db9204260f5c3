/** Errors shared by the document readers. */
import { StepError } from "../steps/types";

/**
 * A document that cannot be read. Another attempt reads the same bytes, so it is not retried.
 */
export function extractError(message: string): StepError {
  return new StepError("extract_error", message, { retryable: false });
}

/** Throws the abort reason (a StepError from the engine) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof StepError ? signal.reason : new StepError("cancelled", "The step was cancelled");
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
