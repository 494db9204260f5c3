/** GET /api/v1/runs — run history, newest first, filtered, cursor-paginated. */
import { listRunsEndpoint } from "@/lib/api/endpoints/runs";
import { decodeCursor, encodeCursor } from "@/lib/api/pagination";
import { apiRoute } from "@/lib/api/route";
import { ValidationError } from "@/lib/services/errors";
import { parentUuids, toRunSummaryDoc } from "@/lib/services/run-documents";
import { listRuns } from "@/lib/services/runs";
import { findWorkflow } from "@/lib/services/workflows";

export const dynamic = "force-dynamic";

export const GET = apiRoute(listRunsEndpoint, async ({ actor, query }) => {
  const before = decodeCursor(query.cursor);
  if (query.cursor && before === null) {
    throw new ValidationError([{ loc: ["query", "cursor"], msg: "Not a cursor from this API", type: "value_error" }]);
  }
  const workflow = query.workflow ? await findWorkflow(actor, query.workflow) : null;
  const { runs, nextCursor } = await listRuns(actor, {
    workflowId: workflow?.id, status: query.status, label: query.label, versionNumber: query.version, origin: query.origin,
    createdAfter: query.created_after ? new Date(query.created_after) : undefined,
    createdBefore: query.created_before ? new Date(query.created_before) : undefined,
    q: query.q, before: before ?? undefined, limit: query.limit,
  });
  const parents = await parentUuids(actor.workspaceId, runs.map((r) => r.parentRunId));
  return Response.json({
    data: runs.map((r) => toRunSummaryDoc(r, actor.workspaceSlug, parents)),
    next_cursor: nextCursor === null ? null : encodeCursor(nextCursor),
    has_more: nextCursor !== null,
  });
});
