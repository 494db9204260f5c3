"use client";
/**
 * The theme switch: System / Light / Dark as a small radio group (arrow keys move between
 * them). The choice is applied to <html> at once and kept in localStorage and the theme
 * cookie (see ./theme.ts). <ThemeSync> (mounted once, in the providers) makes "system" follow
 * the OS live on every page and other tabs' choices apply here too.
 */
import { useEffect, useSyncExternalStore, type KeyboardEvent, type ReactNode } from "react";
import { applyLook, lookOf, parseTheme, themeCookie, THEME_STORAGE_KEY, THEMES, type Theme } from "./theme";

const CHANGE = "flowdeck-theme-change";
const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribe(onChange: () => void) {
  window.addEventListener(CHANGE, onChange);
  return () => window.removeEventListener(CHANGE, onChange);
}

const currentTheme = () => parseTheme(document.documentElement.dataset.theme);

/** Applies and stores a theme (also used when the OS or another tab changes it). */
function setTheme(theme: Theme, store = true) {
  const look = lookOf(theme, window.matchMedia(DARK_QUERY).matches);
  applyLook(document.documentElement, theme, look);
  if (store) {
    try {
      localStorage.setItem(THEME_STORAGE_KEY, theme);
    } catch {
      // Private mode or storage off: the cookie still carries the choice.
    }
  }
  document.cookie = themeCookie(theme, look);
  window.dispatchEvent(new Event(CHANGE));
}

const LABELS: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };

const ICONS: Record<Theme, ReactNode> = {
  system: (
    <>
      <rect x="2.5" y="3.5" width="15" height="10" rx="1.5" />
      <path d="M7 17h6M10 13.5V17" />
    </>
  ),
  light: (
    <>
      <circle cx="10" cy="10" r="3.5" />
      <path d="M10 1.75v2M10 16.25v2M1.75 10h2M16.25 10h2M4.17 4.17l1.41 1.41M14.42 14.42l1.41 1.41M4.17 15.83l1.41-1.41M14.42 5.58l1.41-1.41" />
    </>
  ),
  dark: <path d="M16.5 12.2A7 7 0 0 1 7.8 3.5a7 7 0 1 0 8.7 8.7Z" />,
};

/** Keeps <html> in step with the OS (for "system") and with other tabs. Renders nothing. */
export function ThemeSync() {
  useEffect(() => {
    const media = window.matchMedia(DARK_QUERY);
    const onMedia = () => { if (currentTheme() === "system") setTheme("system", false); };
    const onStorage = (e: StorageEvent) => { if (e.key === THEME_STORAGE_KEY) setTheme(parseTheme(e.newValue), false); };
    media.addEventListener("change", onMedia);
    window.addEventListener("storage", onStorage);
    return () => {
      media.removeEventListener("change", onMedia);
      window.removeEventListener("storage", onStorage);
    };
  }, []);
  return null;
}

/** `initial`: the stored choice, as the server read it from the cookie (see ./theme-server.ts). */
export function ThemeToggle({ initial }: { initial: Theme }) {
  const theme = useSyncExternalStore(subscribe, currentTheme, () => initial);

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const step = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : e.key === "ArrowLeft" || e.key === "ArrowUp" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = THEMES[(THEMES.indexOf(theme) + step + THEMES.length) % THEMES.length];
    setTheme(next);
    e.currentTarget.querySelector<HTMLButtonElement>(`[data-theme-option="${next}"]`)?.focus();
  }

  return (
    <div role="radiogroup" aria-label="Theme" data-testid="theme-toggle" data-theme-choice={theme} onKeyDown={onKeyDown}
      className="inline-flex shrink-0 items-center gap-0.5 rounded-lg border border-slate-200 bg-slate-50 p-0.5 dark:border-slate-700 dark:bg-slate-800">
      {THEMES.map((t) => {
        const on = t === theme;
        return (
          <button key={t} type="button" role="radio" aria-checked={on} aria-label={`${LABELS[t]} theme`} title={`${LABELS[t]} theme`}
            tabIndex={on ? 0 : -1} data-theme-option={t} onClick={() => setTheme(t)}
            className={`flex h-6 w-7 items-center justify-center rounded-md transition focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 ${on
              ? "bg-white text-slate-900 shadow-sm dark:bg-slate-600 dark:text-white"
              : "text-slate-500 hover:text-slate-800 dark:text-slate-400 dark:hover:text-slate-100"}`}>
            <svg viewBox="0 0 20 20" width="15" height="15" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
              {ICONS[t]}
            </svg>
          </button>
        );
      })}
    </div>
  );
}
