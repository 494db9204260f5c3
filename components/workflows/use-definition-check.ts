"use client";
/**
 * Checks definition text on the server as it is typed: a short pause after the last key,
 * then the engine's validator. Answers to older text are dropped, so the panel always
 * describes what is in the editor.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { checkDefinitionAction, type DefinitionCheckResult } from "@/lib/actions/workflows";

const PAUSE_MS = 300;

export interface DefinitionCheckState {
  /** The result for the current text, or null while it is being checked. */
  result: DefinitionCheckResult | null;
  /** Set when the check itself could not run (signed out, server down). */
  failure: string | null;
  /** Checks the current text now, without waiting for the pause. */
  recheck: () => void;
}

export function useDefinitionCheck(workspace: string, text: string): DefinitionCheckState {
  const [checked, setChecked] = useState<{ text: string; result: DefinitionCheckResult | null; failure: string | null } | null>(null);
  const latest = useRef(0);

  const run = useCallback(async (value: string) => {
    const ticket = ++latest.current;
    const answer = await checkDefinitionAction({ workspace, text: value }).catch(() => null);
    if (ticket !== latest.current) return;
    if (answer?.ok) setChecked({ text: value, result: answer.data, failure: null });
    else setChecked({ text: value, result: null, failure: answer ? answer.message : "Could not reach the server to check the definition" });
  }, [workspace]);

  useEffect(() => {
    const timer = setTimeout(() => void run(text), PAUSE_MS);
    return () => clearTimeout(timer);
  }, [run, text]);

  const current = checked?.text === text ? checked : null;
  return { result: current?.result ?? null, failure: current?.failure ?? null, recheck: () => void run(text) };
}
