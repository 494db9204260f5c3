/** POST /api/v1/runs/{run}/rerun — run again: same or edited inputs, another version, from a step. */
import { rerunEndpoint } from "@/lib/api/endpoints/runs";
import { apiRoute, unknownFields } from "@/lib/api/route";
import { idempotencyKeyOf, respondWithRun, runRequestHash } from "@/lib/api/run-response";
import { rerunBodySchema } from "@/lib/schemas/api-runs";
import { rerunRun } from "@/lib/services/runs";

export const dynamic = "force-dynamic";

export const POST = apiRoute(rerunEndpoint, async ({ req, actor, params, body, rawBody }) => {
  const { run, replayed } = await rerunRun(actor, params.run, {
    inputs: body.inputs, label: body.label, version: body.version, fromStep: body.from_step, metadata: body.metadata,
    callbackUrl: body.callback_url, externalId: body.external_id,
    idempotencyKey: idempotencyKeyOf(req), requestHash: runRequestHash(`rerun:${params.run}`, body),
  });
  return respondWithRun(req, actor, run, {
    mode: body.response_mode, maxWaitMs: body.max_wait_ms, returnAllOutputs: body.return_all_outputs, replayed,
    warnings: [...unknownFields(rawBody, rerunBodySchema), ...run.warnings],
  });
});
