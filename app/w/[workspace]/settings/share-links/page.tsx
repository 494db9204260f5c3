/** The workspace's share links: every run's links, with their state, and Revoke. */
import Link from "next/link";
import { requireActor } from "@/lib/auth/session";
import { can } from "@/lib/services/permissions";
import { listShareLinks } from "@/lib/services/share-links";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { ShareLinkRow } from "@/components/share-links/share-link-row";

export const metadata = { title: "Share links" };

type Params = Promise<{ workspace: string }>;
type Search = Promise<{ state?: string; before?: string }>;

const FILTERS = [
  { state: "all", label: "All" },
  { state: "active", label: "Active" },
  { state: "inactive", label: "Expired or revoked" },
] as const;
type Filter = (typeof FILTERS)[number]["state"];

export default async function ShareLinksPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { workspace } = await params;
  const search = await searchParams;
  const actor = await requireActor(workspace);
  const state: Filter = FILTERS.some((f) => f.state === search.state) ? (search.state as Filter) : "all";
  const before = Number(search.before);
  const { links, nextBefore } = await listShareLinks(actor, {
    state, before: Number.isSafeInteger(before) && before > 0 ? before : undefined, limit: 50,
  });
  const canRevoke = can(actor.role, "run");
  const now = Date.now();
  const base = `/w/${workspace}/settings/share-links`;
  const hrefFor = (f: Filter, cursor?: number) => {
    const q = new URLSearchParams();
    if (f !== "all") q.set("state", f);
    if (cursor) q.set("before", String(cursor));
    const s = q.toString();
    return s ? `${base}?${s}` : base;
  };

  return (
    <div className="space-y-4">
      <div>
        <p className="text-sm text-slate-500">Settings</p>
        <h1 className="text-xl font-semibold">Share links</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-500">
          Read-only links to single runs, made from a run&apos;s Share button. Anyone with a link sees that run&apos;s result
          without signing in, and nothing else. Flowdeck keeps only a hash of each link; revoking one, or its expiry, makes it
          answer “This link does not work”.
        </p>
      </div>

      {!canRevoke && (
        <p data-testid="share-links-read-only" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">
          Viewers cannot create or revoke share links. Your role here is <strong>{actor.role}</strong>.
        </p>
      )}

      <nav className="flex gap-1 text-sm" aria-label="Filter share links">
        {FILTERS.map((f) => (
          <Link key={f.state} href={hrefFor(f.state)} aria-current={f.state === state ? "page" : undefined}
            className={`rounded-md px-3 py-1.5 ${f.state === state
              ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900"
              : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"}`}>
            {f.label}
          </Link>
        ))}
      </nav>

      <Card title={`${FILTERS.find((f) => f.state === state)?.label ?? "All"} links${before > 0 ? " (older)" : ""}`}>
        {links.length === 0 ? (
          state === "all" && !(before > 0) ? (
            <EmptyState icon="link" testId="share-links-empty" title="No share links yet"
              action={<Link href={`/w/${workspace}/runs`} className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">Open a run to share →</Link>}>
              Open a run and use its Share button to make a read-only link to its result.
            </EmptyState>
          ) : (
            <EmptyState icon="link" testId="share-links-empty" title="No links here"
              action={<Link href={hrefFor("all")} className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">Show all links</Link>} />
          )
        ) : (
          <ul data-testid="workspace-share-links" className="-m-4 divide-y divide-slate-100 dark:divide-slate-800">
            {links.map((link) => (
              <ShareLinkRow key={link.id} workspace={workspace} link={link} now={now} canRevoke={canRevoke} showRun />
            ))}
          </ul>
        )}
      </Card>
      {(nextBefore || before > 0) && (
        <div className="flex justify-between text-sm">
          {before > 0 ? <Link href={hrefFor(state)} className="text-indigo-600 hover:underline dark:text-indigo-400">← Newest</Link> : <span />}
          {nextBefore && <Link href={hrefFor(state, nextBefore)} data-testid="share-links-older" className="text-indigo-600 hover:underline dark:text-indigo-400">Older →</Link>}
        </div>
      )}
    </div>
  );
}
