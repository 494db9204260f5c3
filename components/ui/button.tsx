import type { ButtonHTMLAttributes } from "react";

/**
 * primary: the page's main action; secondary: other actions; danger: a destructive action
 * confirmed (Yes, revoke) or immediate (Cancel run); danger-outline: a destructive action that
 * asks first (Revoke, Delete, Remove) — red, but lighter than the confirmation; ghost: quiet.
 * Colours live only in the variant: pass layout classes (margins, width) in className.
 */
export type ButtonVariant = "primary" | "secondary" | "danger" | "danger-outline" | "ghost";

const VARIANTS: Record<ButtonVariant, string> = {
  primary: "bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 disabled:bg-indigo-400 dark:disabled:bg-indigo-900 dark:disabled:text-indigo-300",
  secondary:
    "border border-slate-300 bg-white text-slate-800 shadow-sm hover:bg-slate-50 disabled:text-slate-400 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800 dark:disabled:text-slate-500",
  danger: "bg-red-600 text-white shadow-sm hover:bg-red-500 disabled:bg-red-400 dark:bg-red-700 dark:hover:bg-red-600 dark:disabled:bg-red-900",
  "danger-outline":
    "border border-red-300 bg-white text-red-700 shadow-sm hover:border-red-400 hover:bg-red-50 disabled:opacity-60 dark:border-red-900 dark:bg-transparent dark:text-red-400 dark:hover:border-red-700 dark:hover:bg-red-950/60",
  ghost: "text-slate-600 hover:bg-slate-100 disabled:text-slate-400 dark:text-slate-300 dark:hover:bg-slate-800 dark:disabled:text-slate-500",
};

const BASE =
  "inline-flex items-center justify-center gap-2 rounded-md px-3.5 py-2 text-sm font-medium transition focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-1 disabled:cursor-not-allowed dark:focus-visible:ring-offset-slate-900";

/** A button's classes, for links that look like buttons (<Link className={buttonClasses("secondary")}>). */
export function buttonClasses(variant: ButtonVariant = "primary", className = ""): string {
  return `${BASE} ${VARIANTS[variant]} ${className}`;
}

export function Button({ variant = "primary", className = "", ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant }) {
  return <button className={buttonClasses(variant, className)} {...props} />;
}
