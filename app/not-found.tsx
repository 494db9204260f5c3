import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-xl px-4 py-16 text-center">
      <h1 className="text-xl font-semibold">Not found</h1>
      <p className="mt-2 text-slate-500">This page does not exist, or you do not have access to it.</p>
      <Link href="/" className="mt-4 inline-block text-indigo-600 hover:underline dark:text-indigo-400">Go to your workspace</Link>
    </main>
  );
}
