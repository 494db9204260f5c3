/**
 * The colour theme: "system" follows the operating system, "light" and "dark" pin one.
 *
 * The choice is kept in localStorage and in a cookie. The cookie holds the choice and the
 * look it gave last time ("system.dark", "light.light"), so the server can put the right
 * class on <html> in the very first HTML it sends: no light flash before a dark page, even
 * for "system". With no cookie yet (a first visit), a tiny inline script (THEME_SCRIPT)
 * settles the class before the first paint. Because the server's class always equals what
 * the browser last applied, React re-rendering <html> after a refresh never undoes it.
 *
 * A plain module: imported by the server layout and by the header's toggle.
 */
export const THEMES = ["system", "light", "dark"] as const;
export type Theme = (typeof THEMES)[number];
export type Look = "light" | "dark";

export const THEME_COOKIE = "flowdeck-theme";
export const THEME_STORAGE_KEY = "flowdeck-theme";
/** A year: the choice outlives sessions. */
export const THEME_COOKIE_MAX_AGE = 60 * 60 * 24 * 365;

export function parseTheme(value: unknown): Theme {
  return THEMES.includes(value as Theme) ? (value as Theme) : "system";
}

/** How a theme looks, given what the system prefers. */
export function lookOf(theme: Theme, systemPrefersDark: boolean): Look {
  return theme === "dark" || (theme === "system" && systemPrefersDark) ? "dark" : "light";
}

/** The cookie's value: "system.dark", "light.light", … */
export function themeCookieValue(theme: Theme, look: Look): string {
  return `${theme}.${look}`;
}

/** Reads the cookie's value; an unknown or missing value is "system" with no known look. */
export function parseThemeCookie(value: string | undefined): { theme: Theme; look: Look | null } {
  const [choice, shown] = (value ?? "").split(".");
  const theme = parseTheme(choice);
  if (theme !== "system") return { theme, look: theme };
  return { theme, look: shown === "dark" || shown === "light" ? shown : null };
}

/** The class the server puts on <html> (none when it cannot know: the script decides). */
export function serverThemeClass(cookieValue: string | undefined): Look | undefined {
  return parseThemeCookie(cookieValue).look ?? undefined;
}

export function themeCookie(theme: Theme, look: Look): string {
  return `${THEME_COOKIE}=${themeCookieValue(theme, look)}; Path=/; Max-Age=${THEME_COOKIE_MAX_AGE}; SameSite=Lax`;
}

/** Puts the look on <html> (the `dark` class drives Tailwind's dark: variant). */
export function applyLook(root: HTMLElement, theme: Theme, look: Look) {
  root.classList.toggle("dark", look === "dark");
  root.classList.toggle("light", look === "light");
  root.dataset.theme = theme;
}

/**
 * Runs in <head> before the body paints: reads the stored choice (localStorage first, then
 * the cookie), sets the class on <html> and writes the cookie when it is missing or stale.
 * Small, and nothing in it can throw uncaught.
 */
export const THEME_SCRIPT = `(function(){try{
var k=${JSON.stringify(THEME_STORAGE_KEY)},c=${JSON.stringify(THEME_COOKIE)};
var m=document.cookie.match(new RegExp("(?:^|; )"+c+"=([^;]*)"));
var t=null;try{t=localStorage.getItem(k)}catch(e){}
if(t!=="light"&&t!=="dark"&&t!=="system")t=m?m[1].split(".")[0]:"system";
if(t!=="light"&&t!=="dark")t="system";
var l=t==="dark"||(t==="system"&&window.matchMedia("(prefers-color-scheme: dark)").matches)?"dark":"light";
var h=document.documentElement;h.classList.toggle("dark",l==="dark");h.classList.toggle("light",l==="light");
h.dataset.theme=t;
if(!m||m[1]!==t+"."+l)document.cookie=c+"="+t+"."+l+"; Path=/; Max-Age=${THEME_COOKIE_MAX_AGE}; SameSite=Lax";
}catch(e){}})();`;
