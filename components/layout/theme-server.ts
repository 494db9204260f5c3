/** The stored theme choice, read on the server from the theme cookie (for <ThemeToggle initial>). */
import { cookies } from "next/headers";
import { parseThemeCookie, THEME_COOKIE, type Theme } from "./theme";

export async function readThemeChoice(): Promise<Theme> {
  return parseThemeCookie((await cookies()).get(THEME_COOKIE)?.value).theme;
}
