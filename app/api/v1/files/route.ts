/** POST /api/v1/files — multipart upload (field `file`); returns the stored file record. */
import { uploadFileEndpoint } from "@/lib/api/endpoints/workspace";
import { jsonError } from "@/lib/api/errors";
import { apiRoute } from "@/lib/api/route";
import { saveUploadedFile, MAX_UPLOAD_BYTES } from "@/lib/services/files";

export const POST = apiRoute(uploadFileEndpoint, async ({ req, actor }) => {
  if (!req.headers.get("content-type")?.startsWith("multipart/form-data")) {
    return jsonError(415, "unsupported_media_type", "Send the file as multipart/form-data in a field named 'file'");
  }
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > MAX_UPLOAD_BYTES + 64 * 1024) {
    return jsonError(413, "payload_too_large", `File is too large (max ${Math.round(MAX_UPLOAD_BYTES / 1048576)} MB)`);
  }
  const form = await req.formData().catch(() => null);
  if (!form) return jsonError(400, "invalid_body", "The multipart body could not be read");
  const file = form.get("file");
  if (!file || typeof file === "string") {
    return jsonError(422, "validation_error", "No file: send it in a multipart field named 'file'", [
      { loc: ["body", "file"], msg: "Field required", type: "missing" },
    ]);
  }
  const stored = await saveUploadedFile(actor, {
    name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()),
  });
  return Response.json(stored, { status: 201 });
});
