/** POST /api/v1/files — multipart upload (field `file`); returns the stored file record. */
import { readMultipartBody } from "@/lib/api/body";
import { uploadFileEndpoint } from "@/lib/api/endpoints/workspace";
import { jsonError } from "@/lib/api/errors";
import { apiRoute } from "@/lib/api/route";
import { saveUploadedFile, MAX_UPLOAD_BYTES } from "@/lib/services/files";

export const POST = apiRoute(uploadFileEndpoint, async ({ req, actor }) => {
  if (!req.headers.get("content-type")?.startsWith("multipart/form-data")) {
    return jsonError(415, "unsupported_media_type", "Send the file as multipart/form-data in a field named 'file'");
  }
  const form = await readMultipartBody(req, MAX_UPLOAD_BYTES + 64 * 1024);
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
