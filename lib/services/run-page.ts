/** Everything a run page renders first (before the live stream takes over). */
import type { RunDetail } from "./runs";
import { listRunEventsAfter } from "./run-events";
import { getDefinitionOfVersion } from "./workflows";

export async function loadRunPageData(run: RunDetail) {
  const [definition, frames] = await Promise.all([
    getDefinitionOfVersion(run.versionId),
    listRunEventsAfter(run.id, 0, 10_000),
  ]);
  const stepSpecs = definition.steps.map((s) => ({ id: s.id, kind: s.kind, name: s.name ?? s.id }));
  return { stepSpecs, frames };
}
