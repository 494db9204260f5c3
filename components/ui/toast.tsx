"use client";
/**
 * Toasts: short notes about what an action did ("Run started", "Key revoked"), stacked at
 * the bottom right, gone after a few seconds (held while the close button has keyboard
 * focus), closable by button or Escape. Success and info toasts are polite status messages;
 * errors are alerts. They add to a page's own inline messages, never replace them.
 *
 * Only the close button takes the mouse: a toast never blocks a click on the page under it
 * (it sits over the lower right corner, where rows keep their Revoke buttons).
 *
 *   import { toast } from "@/components/ui/toast";
 *   toast.success("Run started");
 */
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { createToastStore, type ToastItem, type ToastOptions } from "./toast-store";

const store = createToastStore();
const NONE: readonly ToastItem[] = [];

export const toast = Object.assign((title: string, options?: ToastOptions) => store.show("info", title, options), {
  success: (title: string, options?: ToastOptions) => store.show("success", title, options),
  error: (title: string, options?: ToastOptions) => store.show("error", title, options),
  info: (title: string, options?: ToastOptions) => store.show("info", title, options),
  dismiss: (id?: number) => store.dismiss(id),
});

const TONE: Record<ToastItem["kind"], { box: string; icon: string; mark: string }> = {
  success: {
    box: "border-emerald-200 dark:border-emerald-900",
    icon: "bg-emerald-100 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300",
    mark: "✓",
  },
  error: {
    box: "border-red-200 dark:border-red-900",
    icon: "bg-red-100 text-red-700 dark:bg-red-950 dark:text-red-300",
    mark: "!",
  },
  info: {
    box: "border-slate-200 dark:border-slate-700",
    icon: "bg-indigo-100 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300",
    mark: "i",
  },
};

/** Mounted once, in the root layout's providers. */
export function Toaster() {
  const items = useSyncExternalStore(store.subscribe, store.getSnapshot, () => NONE);
  return (
    <section aria-label="Notifications" data-testid="toaster"
      className="pointer-events-none fixed bottom-4 right-4 z-50 w-[min(24rem,calc(100vw-2rem))]">
      {/* Always in the page, so screen readers are already listening when a toast arrives. */}
      <ol aria-live="polite" aria-relevant="additions" className="flex flex-col gap-2">
        {items.map((t) => <ToastView key={t.id} item={t} />)}
      </ol>
    </section>
  );
}

function ToastView({ item }: { item: ToastItem }) {
  const [held, setHeld] = useState(false);
  const remaining = useRef(item.duration);

  // Counts down unless the close button has focus (someone tabbed to it to read or close).
  useEffect(() => {
    if (held) return;
    const started = Date.now();
    const timer = setTimeout(() => store.dismiss(item.id), remaining.current);
    return () => {
      clearTimeout(timer);
      remaining.current = Math.max(1_000, remaining.current - (Date.now() - started));
    };
  }, [held, item.id]);

  const tone = TONE[item.kind];
  return (
    <li role={item.kind === "error" ? "alert" : "status"} aria-atomic="true" data-testid="toast" data-kind={item.kind}
      onFocus={() => setHeld(true)} onBlur={() => setHeld(false)}
      onKeyDown={(e) => { if (e.key === "Escape") store.dismiss(item.id); }}
      className={`toast-enter pointer-events-none flex items-start gap-3 rounded-lg border bg-white px-3.5 py-3 text-sm shadow-lg dark:bg-slate-900 ${tone.box}`}>
      <span aria-hidden="true" className={`mt-0.5 flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ${tone.icon}`}>{tone.mark}</span>
      <div className="min-w-0 flex-1">
        <p className="font-medium text-slate-900 dark:text-slate-100">{item.title}</p>
        {item.description && <p className="mt-0.5 break-words text-slate-600 dark:text-slate-300">{item.description}</p>}
      </div>
      <button type="button" aria-label="Dismiss notification" onClick={() => store.dismiss(item.id)}
        className="pointer-events-auto -mr-1 -mt-0.5 rounded px-1.5 text-lg leading-none text-slate-400 hover:bg-slate-100 hover:text-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 dark:hover:bg-slate-800 dark:hover:text-slate-200">
        ×
      </button>
    </li>
  );
}
