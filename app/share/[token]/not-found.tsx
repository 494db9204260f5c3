/** What every dead share link shows — unknown, revoked or expired alike, so none is told apart. */
export default function ShareLinkNotFound() {
  return (
    <main className="mx-auto max-w-xl px-4 py-16 text-center" data-testid="share-link-dead">
      <p className="text-xs uppercase tracking-wide text-slate-400">Flowdeck · shared run</p>
      <h1 className="mt-2 text-xl font-semibold">This link does not work</h1>
      <p className="mt-2 text-slate-500">It may have expired or been revoked. Ask whoever shared it for a new one.</p>
    </main>
  );
}
