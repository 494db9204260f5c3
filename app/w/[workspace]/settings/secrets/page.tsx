import { requireActor } from "@/lib/auth/session";
import { listSecrets } from "@/lib/services/secrets";
import { can } from "@/lib/services/permissions";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { formatRelative } from "@/components/ui/format";
import { SecretEditor } from "@/components/settings/secret-forms";
import { SecretRow } from "@/components/settings/secret-row";

export const metadata = { title: "Secrets" };

/** The secret llm steps read when they name no provider (the llm step's default). */
const DEFAULT_PROVIDER = "llm";

export default async function SecretsPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await params;
  const actor = await requireActor(workspace);
  const secrets = await listSecrets(actor);
  const canManage = can(actor.role, "manage");
  const now = Date.now();

  return (
    <div className="space-y-4">
      <div>
        <p className="text-sm text-slate-500">Settings</p>
        <h1 className="text-xl font-semibold">Secrets</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-500">
          Keys your workflows use, such as the LLM provider of <code className="font-mono">llm</code> steps. Values are
          encrypted at rest and never shown again once saved: to change one, replace it.
        </p>
      </div>

      {!canManage && (
        <p data-testid="secrets-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Only admins and owners can add, replace or delete secrets. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}

      <div className={canManage ? "grid items-start gap-4 lg:grid-cols-5" : ""}>
        <Card title={`Workspace secrets (${secrets.length})`} className={canManage ? "lg:col-span-3" : ""}>
          {secrets.length === 0 ? (
            <EmptyState icon="lock" testId="secrets-empty" title="No secrets yet"
              action={canManage && <a href="#new-llm-base_url" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">Add an LLM provider →</a>}>
              {canManage
                ? <>Add an LLM provider named <code className="font-mono">{DEFAULT_PROVIDER}</code> to run <code className="font-mono">llm</code> steps such as the Ask an LLM demo.</>
                : "An admin can add an LLM provider for llm steps."}
            </EmptyState>
          ) : (
            <ul data-testid="secrets-list" className="-m-4 divide-y divide-slate-100 dark:divide-slate-800">
              {secrets.map((s) => (
                <SecretRow key={s.name} workspace={workspace} name={s.name} canManage={canManage}
                  updatedAt={s.updatedAt.toISOString()} updatedAgo={formatRelative(s.updatedAt, now)}
                  isDefaultProvider={s.name === DEFAULT_PROVIDER} />
              ))}
            </ul>
          )}
        </Card>

        {canManage && (
          <Card title="Add a secret" className="lg:col-span-2">
            <SecretEditor workspace={workspace} idPrefix="new" existingNames={secrets.map((s) => s.name)} />
          </Card>
        )}
      </div>
    </div>
  );
}
