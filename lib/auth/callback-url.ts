/**
 * Where to send someone after they sign in (`/login?callbackUrl=/invite/…`). Only a path on
 * this site is accepted, so the sign-in page cannot be used to redirect to another site.
 */
const BASE = "http://flowdeck.invalid";

/** The path (with query and hash) if `value` names a page of this site, else null. */
export function safeCallbackPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2000) return null;
  // "//host" and "/\host" are read by browsers as another host; control characters never belong.
  if (!value.startsWith("/") || value.startsWith("//") || /[\\\u0000-\u001f]/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Going back to the sign-in page after signing in would loop.
  return url.pathname === "/login" ? null : path;
}
