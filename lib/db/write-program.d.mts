import type { WriteOutcome, WriteProgram } from "./sqlite-writer";

/** The parts of a better-sqlite3 statement used to run programs. */
export interface ProgramStatement {
  readonly reader: boolean;
  run(params?: unknown[]): { changes: number | bigint };
  get(params?: unknown[]): unknown;
}

export function describeError(error: unknown): { name: string; message: string; code?: string; noRowChanged?: string };
export function commitPrograms(prepared: (sql: string) => ProgramStatement, programs: WriteProgram[]): WriteOutcome[];
export function runPrograms(prepared: (sql: string) => ProgramStatement, programs: WriteProgram[]): WriteOutcome[];
