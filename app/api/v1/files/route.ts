/** POST /api/v1/files — multipart upload (field `file`), streamed to storage; returns the stored file record. */
import { readMultipartBody } from "@/lib/api/body";
import { uploadFileEndpoint } from "@/lib/api/endpoints/workspace";
import { jsonError } from "@/lib/api/errors";
import { apiRoute } from "@/lib/api/route";
import { assertCanUpload, saveStagedUpload, MAX_UPLOAD_BYTES } from "@/lib/services/files";

export const POST = apiRoute(uploadFileEndpoint, async ({ req, actor }) => {
  if (!req.headers.get("content-type")?.startsWith("multipart/form-data")) {
    return jsonError(415, "unsupported_media_type", "Send the file as multipart/form-data in a field named 'file'");
  }
  assertCanUpload(actor);
  const form = await readMultipartBody(req, { maxFileBytes: MAX_UPLOAD_BYTES, maxFiles: 1, fileFields: ["file"] });
  try {
    const file = form.get("file");
    if (!file || typeof file === "string") {
      return jsonError(422, "validation_error", "No file: send it in a multipart field named 'file'", [
        { loc: ["body", "file"], msg: "Field required", type: "missing" },
      ]);
    }
    return Response.json(await saveStagedUpload(actor, file), { status: 201 });
  } finally {
    await form.discard(); // whatever was not saved
  }
});
