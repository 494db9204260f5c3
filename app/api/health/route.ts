/** GET /api/health — liveness: answers as soon as the server can handle requests (no database call). */
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ ok: true });
}
