import { requireActor } from "@/lib/auth/session";
import { listApiKeysReadOnly } from "@/lib/services/api-keys";
import { listWorkflows } from "@/lib/services/workflows";
import { can } from "@/lib/services/permissions";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { formatRelative } from "@/components/ui/format";
import { CreateApiKeyForm } from "@/components/settings/api-key-forms";
import { ApiKeyRow, type ShownTime } from "@/components/settings/api-key-row";

export const metadata = { title: "API keys" };

export default async function ApiKeysPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await params;
  const actor = await requireActor(workspace);
  const canManage = can(actor.role, "manage");
  const [keys, workflows] = await Promise.all([listApiKeysReadOnly(actor), canManage ? listWorkflows(actor) : Promise.resolve([])]);
  const now = Date.now();
  const shown = (d: Date | null): ShownTime | null => (d ? { iso: d.toISOString(), ago: formatRelative(d, now) } : null);
  const active = keys.filter((k) => !k.revokedAt).length;

  return (
    <div className="space-y-4">
      <div>
        <p className="text-sm text-slate-500">Settings</p>
        <h1 className="text-xl font-semibold">API keys</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-500">
          Keys for the run API (<code className="font-mono">/api/v1</code>). A key is shown once, when it is created; Flowdeck
          stores only a hash and its last 4 characters. Revoking a key stops it at once.
        </p>
      </div>

      {!canManage && (
        <p data-testid="api-keys-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Only admins and owners can create or revoke API keys. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}

      <div className={canManage ? "grid items-start gap-4 lg:grid-cols-5" : ""}>
        <Card title={`Workspace keys (${active} active${keys.length > active ? `, ${keys.length - active} revoked` : ""})`} className={canManage ? "lg:col-span-3" : ""}>
          {keys.length === 0 ? (
            <EmptyState icon="key" testId="api-keys-empty" title="No API keys yet"
              action={canManage && <a href="#key-name" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">Create the first key →</a>}>
              {canManage ? "Create one to call the run API from scripts, CI or other tools." : "An admin can create one."}
            </EmptyState>
          ) : (
            <ul data-testid="api-keys-list" className="-m-4 divide-y divide-slate-100 dark:divide-slate-800">
              {keys.map((k) => (
                <ApiKeyRow key={k.id} workspace={workspace} id={k.id} name={k.name} last4={k.last4} role={k.role}
                  workflow={k.workflow?.name ?? null} label={k.label} canManage={canManage}
                  created={shown(k.createdAt)!} lastUsed={shown(k.lastUsedAt)} revoked={shown(k.revokedAt)} />
              ))}
            </ul>
          )}
        </Card>

        {canManage && (
          <Card title="Create a key" className="lg:col-span-2">
            <CreateApiKeyForm workspace={workspace}
              workflows={workflows.map((w) => ({ name: w.name, title: w.title, labels: w.labels.map((l) => l.name) }))} />
          </Card>
        )}
      </div>
    </div>
  );
}
