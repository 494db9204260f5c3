/**
 * The toast queue: a tiny store outside React, so any client code (an action's result, a
 * copy button) can say something without a context, and a toast raised just before a
 * navigation survives it (the <Toaster> lives in the root layout). Pure: no DOM, no React.
 */
export type ToastKind = "success" | "error" | "info";

export interface ToastItem {
  id: number;
  kind: ToastKind;
  title: string;
  description?: string;
  /** How long it stays (ms) while not hovered or focused. */
  duration: number;
}

export interface ToastOptions {
  description?: string;
  duration?: number;
}

/** At most this many at once: a new one pushes out the oldest. */
export const MAX_TOASTS = 4;
export const DEFAULT_DURATION = 5_000;
/** Errors stay a little longer: they usually need reading. */
export const ERROR_DURATION = 8_000;

export function createToastStore() {
  let items: readonly ToastItem[] = [];
  let nextId = 1;
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const listener of listeners) listener();
  };

  function show(kind: ToastKind, title: string, options: ToastOptions = {}): number {
    const id = nextId++;
    const duration = options.duration ?? (kind === "error" ? ERROR_DURATION : DEFAULT_DURATION);
    // The same words again replace the earlier toast instead of stacking a copy.
    const rest = items.filter((t) => !(t.kind === kind && t.title === title && t.description === options.description));
    items = [...rest, { id, kind, title, description: options.description, duration }].slice(-MAX_TOASTS);
    emit();
    return id;
  }

  function dismiss(id?: number) {
    const next = id === undefined ? [] : items.filter((t) => t.id !== id);
    if (next.length === items.length) return;
    items = next;
    emit();
  }

  return {
    show,
    dismiss,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => items,
  };
}

export type ToastStore = ReturnType<typeof createToastStore>;
