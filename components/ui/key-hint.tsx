"use client";
/**
 * Keyboard hints shown beside the controls they work on: `<KeyHint combo="mod+enter" />`
 * reads "⌘ ↵" on Apple keyboards and "Ctrl ↵" elsewhere; `<KeyHint combo="/" />` a slash.
 * The server cannot know the keyboard: it renders "Ctrl", and Apple browsers switch after
 * hydration (no mismatch: useSyncExternalStore's server snapshot covers the first render).
 */
import { useSyncExternalStore, type KeyboardEvent } from "react";

const noSubscribe = () => () => {};
const isApple = () => /Mac|iPhone|iPad|iPod/.test(navigator.platform || navigator.userAgent);

export function useIsApple(): boolean {
  return useSyncExternalStore(noSubscribe, isApple, () => false);
}

export function KeyHint({ combo, label, className = "" }: { combo: "mod+enter" | "/"; label?: string; className?: string }) {
  const apple = useIsApple();
  const keys = combo === "/" ? ["/"] : [apple ? "⌘" : "Ctrl", "↵"];
  const spoken = combo === "/" ? "Slash" : `${apple ? "Command" : "Control"} Enter`;
  return (
    <span className={`inline-flex items-center gap-1 text-xs text-slate-400 dark:text-slate-500 ${className}`} data-testid="key-hint">
      <span className="sr-only">Keyboard shortcut: {spoken}{label ? ` ${label}` : ""}</span>
      <span aria-hidden="true" className="inline-flex items-center gap-0.5">
        {keys.map((k) => <kbd key={k} className="key-hint">{k}</kbd>)}
      </span>
      {label && <span aria-hidden="true">{label}</span>}
    </span>
  );
}

/** Whether a key event is Ctrl/⌘+Enter (not while an input method is composing). */
export function isModEnter(e: KeyboardEvent): boolean {
  return e.key === "Enter" && (e.metaKey || e.ctrlKey) && !e.nativeEvent.isComposing;
}

/**
 * Form onKeyDown: Ctrl/⌘+Enter submits the form from any field in it (textareas too), the
 * way its submit button would: not while that button is disabled (busy, or not allowed).
 */
export function submitOnModEnter(e: KeyboardEvent<HTMLFormElement>) {
  if (!isModEnter(e)) return;
  e.preventDefault();
  const button = e.currentTarget.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (button?.disabled) return;
  e.currentTarget.requestSubmit(button ?? undefined);
}
