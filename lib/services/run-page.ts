/** Everything a run page renders first (before the live stream takes over). */
import { listRunEventsAfter } from "./run-events";
import { getDefinitionOfVersion } from "./workflows";

export async function loadRunPageData(run: { id: number; versionId: number }) {
  const [definition, frames] = await Promise.all([
    getDefinitionOfVersion(run.versionId),
    listRunEventsAfter(run.id, 0, 10_000),
  ]);
  const stepSpecs = definition.steps.map((s) => ({ id: s.id, kind: s.kind, name: s.name ?? s.id }));
  return { stepSpecs, frames };
}
