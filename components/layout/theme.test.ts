/**
 * The theme cookie and the inline script that sets the class on <html> before the first
 * paint. The script is run for real against a minimal document, window and localStorage.
 */
import { describe, expect, it } from "vitest";
import { lookOf, parseThemeCookie, serverThemeClass, THEME_COOKIE, THEME_SCRIPT, themeCookie } from "./theme";

function runScript(options: { cookie?: string; stored?: string | null; systemDark?: boolean; storageThrows?: boolean }) {
  const classes = new Set<string>();
  const dataset: Record<string, string> = {};
  let cookie = options.cookie ?? "";
  const written: string[] = [];
  const document = {
    documentElement: { classList: { toggle: (name: string, on: boolean) => (on ? classes.add(name) : classes.delete(name)) }, dataset },
    get cookie() { return cookie; },
    set cookie(value: string) { written.push(value); cookie = value.split(";")[0]; },
  };
  const localStorage = {
    getItem: (key: string) => {
      if (options.storageThrows) throw new Error("storage disabled");
      return key === "flowdeck-theme" ? options.stored ?? null : null;
    },
  };
  const window = { matchMedia: (q: string) => ({ matches: q.includes("dark") && options.systemDark === true }) };
  new Function("document", "localStorage", "window", THEME_SCRIPT)(document, localStorage, window);
  return { classes: [...classes].sort(), theme: dataset.theme, written };
}

describe("theme cookie", () => {
  it("holds the choice and the look it gave; the server can only use a known look", () => {
    expect(parseThemeCookie("dark.dark")).toEqual({ theme: "dark", look: "dark" });
    expect(parseThemeCookie("light")).toEqual({ theme: "light", look: "light" });
    expect(parseThemeCookie("system.dark")).toEqual({ theme: "system", look: "dark" });
    expect(parseThemeCookie("system")).toEqual({ theme: "system", look: null });
    expect(parseThemeCookie("purple.dark")).toEqual({ theme: "system", look: "dark" });
    expect(parseThemeCookie(undefined)).toEqual({ theme: "system", look: null });
    expect(serverThemeClass("dark.dark")).toBe("dark");
    expect(serverThemeClass("system.light")).toBe("light");
    expect(serverThemeClass(undefined)).toBeUndefined();
    expect(themeCookie("system", "dark")).toMatch(new RegExp(`^${THEME_COOKIE}=system\\.dark; Path=/; Max-Age=\\d+; SameSite=Lax$`));
  });

  it("a pinned theme wins over the system; system follows it", () => {
    expect(lookOf("dark", false)).toBe("dark");
    expect(lookOf("light", true)).toBe("light");
    expect(lookOf("system", true)).toBe("dark");
    expect(lookOf("system", false)).toBe("light");
  });
});

describe("THEME_SCRIPT", () => {
  it("first visit, dark system: dark class, and the cookie written for the server", () => {
    const r = runScript({ systemDark: true });
    expect(r.classes).toEqual(["dark"]);
    expect(r.theme).toBe("system");
    expect(r.written).toHaveLength(1);
    expect(r.written[0]).toMatch(/^flowdeck-theme=system\.dark; Path=\/; Max-Age=\d+; SameSite=Lax$/);
  });

  it("localStorage's choice wins and refreshes a stale cookie", () => {
    const r = runScript({ stored: "light", cookie: "flowdeck-theme=dark.dark", systemDark: true });
    expect(r.classes).toEqual(["light"]);
    expect(r.theme).toBe("light");
    expect(r.written[0]).toMatch(/^flowdeck-theme=light\.light;/);
  });

  it("with no localStorage, reads the cookie and leaves a current cookie alone", () => {
    const r = runScript({ cookie: "other=1; flowdeck-theme=dark.dark", storageThrows: true });
    expect(r.classes).toEqual(["dark"]);
    expect(r.theme).toBe("dark");
    expect(r.written).toEqual([]);
  });

  it("ignores a value it does not know", () => {
    const r = runScript({ stored: "sepia", cookie: "flowdeck-theme=sepia", systemDark: false });
    expect(r.classes).toEqual(["light"]);
    expect(r.theme).toBe("system");
    expect(r.written[0]).toMatch(/^flowdeck-theme=system\.light;/);
  });
});
