/** POST /api/v1/files — multipart upload (field `file`); returns the stored file record. */
import { errorResponse, jsonError } from "@/lib/api/errors";
import { requireRequestActor } from "@/lib/api/request-actor";
import { saveUploadedFile, MAX_UPLOAD_BYTES } from "@/lib/services/files";

export async function POST(req: Request) {
  try {
    const actor = await requireRequestActor(req);
    if (!req.headers.get("content-type")?.startsWith("multipart/form-data")) {
      return jsonError(415, "unsupported_media_type", "Send the file as multipart/form-data in a field named 'file'");
    }
    const length = Number(req.headers.get("content-length") ?? 0);
    if (length > MAX_UPLOAD_BYTES + 64 * 1024) {
      return jsonError(413, "too_large", `File is too large (max ${Math.round(MAX_UPLOAD_BYTES / 1048576)} MB)`);
    }
    const form = await req.formData().catch(() => null);
    const file = form?.get("file");
    if (!file || typeof file === "string") {
      return jsonError(422, "validation_error", "No file: send it in a multipart field named 'file'", [
        { loc: ["body", "file"], msg: "Field required", type: "missing" },
      ]);
    }
    const stored = await saveUploadedFile(actor, {
      name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()),
    });
    return Response.json(stored, { status: 201 });
  } catch (err) {
    return errorResponse(err);
  }
}
