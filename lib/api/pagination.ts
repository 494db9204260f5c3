/** Opaque keyset cursors for list endpoints. */

/** Encodes a keyset position (the last item's integer id) as an opaque cursor. */
export function encodeCursor(id: number): string {
  return Buffer.from(`r:${id}`).toString("base64url");
}

/** Decodes a cursor made by encodeCursor; null when it is not one. */
export function decodeCursor(cursor: string | undefined | null): number | null {
  if (!cursor) return null;
  const m = /^r:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return m ? Number(m[1]) : null;
}
