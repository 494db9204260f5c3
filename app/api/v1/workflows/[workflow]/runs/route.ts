/** POST /api/v1/workflows/{workflow}/runs — start a run (blocking, streaming or async). */
import { startRunEndpoint } from "@/lib/api/endpoints/runs";
import { apiRoute, unknownFields } from "@/lib/api/route";
import { idempotencyKeyOf, respondWithRun, runRequestHash } from "@/lib/api/run-response";
import { startRunBodySchema } from "@/lib/schemas/api-runs";
import { startRunOnce } from "@/lib/services/runs";

export const dynamic = "force-dynamic";

export const POST = apiRoute(startRunEndpoint, async ({ req, actor, params, body, rawBody }) => {
  const { run, replayed } = await startRunOnce(actor, {
    workflow: params.workflow, label: body.label, version: body.version, inputs: body.inputs, metadata: body.metadata,
    origin: "api", externalId: body.external_id, callbackUrl: body.callback_url,
    idempotencyKey: idempotencyKeyOf(req), requestHash: runRequestHash(`start:${params.workflow}`, body),
  });
  return respondWithRun(req, actor, run, {
    mode: body.response_mode, maxWaitMs: body.max_wait_ms, returnAllOutputs: body.return_all_outputs, replayed,
    warnings: [...unknownFields(rawBody, startRunBodySchema), ...run.warnings],
  });
});
