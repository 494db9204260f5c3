/** GET /api/v1/files/{file} — a stored file's bytes, as an attachment (run page downloads, API clients). */
import { downloadFileEndpoint } from "@/lib/api/endpoints/workspace";
import { apiRoute } from "@/lib/api/route";
import { getFileForDownload } from "@/lib/services/files";

export const dynamic = "force-dynamic";

/** RFC 6266 / 5987: an ASCII fallback name plus the exact UTF-8 one. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const GET = apiRoute(downloadFileEndpoint, async ({ actor, params }) => {
  const file = await getFileForDownload(actor, params.file);
  return new Response(file.stream(), {
    headers: {
      "content-type": file.mime_type || "application/octet-stream",
      "content-length": String(file.size),
      // Always a download, never rendered on this origin (an uploaded HTML file must not run here).
      "content-disposition": contentDisposition(file.name),
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox; default-src 'none'",
      "cache-control": "private, no-store",
    },
  });
});
