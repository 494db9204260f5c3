/**
 * /docs/api — the API reference, rendered on the server from the same generated OpenAPI
 * document that /api/v1/openapi.json serves (no client-side viewer, nothing loaded from a CDN).
 */
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { getOpenApiDocument } from "@/lib/api/openapi";
import { Inline, SchemaLink, SchemaTable, TypeLabel, type Schema } from "./schema-view";

export const metadata = { title: "API reference" };
export const dynamic = "force-static";

interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Schema }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }>; headers?: Record<string, { description: string }> }>;
  security?: unknown[];
  callbacks?: Record<string, Record<string, { post: { description: string; parameters: { name: string; description: string }[]; requestBody: { content: Record<string, { schema: Schema }> } } }>>;
}

const METHOD_STYLE: Record<string, string> = {
  get: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  post: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  put: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  delete: "bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300",
};

function Method({ method }: { method: string }) {
  return <span className={`inline-block w-16 rounded px-1.5 py-0.5 text-center font-mono text-xs font-semibold uppercase ${METHOD_STYLE[method] ?? ""}`}>{method}</span>;
}

function statusStyle(status: string) {
  if (status.startsWith("2")) return "text-emerald-700 dark:text-emerald-400";
  if (status.startsWith("4")) return "text-amber-700 dark:text-amber-400";
  return "text-slate-600";
}

function Markdown({ children }: { children: string }) {
  return <div className="prose-output text-sm leading-relaxed"><ReactMarkdown remarkPlugins={[remarkGfm]}>{children}</ReactMarkdown></div>;
}

/** The markdown minus the `## Title` sections named (they have cards of their own). */
function withoutSections(markdown: string, titles: string[]): string {
  return markdown.split(/\n(?=## )/).filter((part) => !titles.some((t) => part.startsWith(`## ${t}`))).join("\n");
}

function OperationView({ path, method, op, components }: { path: string; method: string; op: Operation; components: Record<string, Schema> }) {
  const params = op.parameters ?? [];
  return (
    <section id={op.operationId} className="scroll-mt-6 rounded-lg border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900" data-testid="operation">
      <h3 className="flex flex-wrap items-center gap-3">
        <Method method={method} />
        <code className="font-mono text-[15px] font-semibold">/api/v1{path}</code>
      </h3>
      <p className="mt-2 font-medium">{op.summary}</p>
      {op.description && <p className="mt-1 text-sm text-slate-600 dark:text-slate-300"><Inline text={op.description} /></p>}
      {op.security && op.security.length === 0 && <p className="mt-1 text-xs text-slate-500">No authentication needed.</p>}

      {params.length > 0 && (
        <div className="mt-4">
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Parameters</h4>
          <table className="w-full text-left text-sm">
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {params.map((p) => (
                <tr key={`${p.in}:${p.name}`} className="align-top">
                  <td className="py-1.5 pr-4 font-mono text-[13px]">{p.name}{p.required && <span className="ml-1 text-red-500">*</span>}</td>
                  <td className="py-1.5 pr-4 text-xs text-slate-500">{p.in}</td>
                  <td className="py-1.5 pr-4 text-[13px]"><TypeLabel schema={p.schema} /></td>
                  <td className="py-1.5 text-[13px] text-slate-600 dark:text-slate-300"><Inline text={p.description} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {op.requestBody && (
        <div className="mt-4">
          <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">
            Request body {!op.requestBody.required && <span className="normal-case">(optional)</span>}
            <span className="ml-2 font-mono normal-case text-slate-400">{Object.keys(op.requestBody.content).join(", ")}</span>
          </h4>
          <SchemaTable schema={Object.values(op.requestBody.content)[0]?.schema} components={components} />
        </div>
      )}

      <div className="mt-4">
        <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Responses</h4>
        <ul className="space-y-1 text-sm">
          {Object.entries(op.responses).map(([status, r]) => {
            const json = r.content?.["application/json"]?.schema;
            const other = Object.keys(r.content ?? {}).filter((c) => c !== "application/json");
            return (
              <li key={status} className="flex gap-3">
                <span className={`w-10 shrink-0 font-mono font-semibold ${statusStyle(status)}`}>{status}</span>
                <span className="text-slate-700 dark:text-slate-300">
                  <Inline text={r.description} />
                  {json && <> — <TypeLabel schema={json} /></>}
                  {other.length > 0 && <span className="ml-1 font-mono text-xs text-slate-500">({other.join(", ")})</span>}
                  {r.headers && <span className="block text-xs text-slate-500">Headers: {Object.keys(r.headers).join(", ")}</span>}
                </span>
              </li>
            );
          })}
        </ul>
      </div>

      {op.callbacks && Object.entries(op.callbacks).map(([name, byUrl]) => Object.entries(byUrl).map(([url, cb]) => (
        <div key={`${name}${url}`} className="mt-4 rounded-md border border-indigo-200 bg-indigo-50/50 p-3 dark:border-indigo-900 dark:bg-indigo-950/30">
          <h4 className="text-xs font-semibold uppercase tracking-wide text-indigo-700 dark:text-indigo-300">Callback: POST to callback_url</h4>
          <p className="mt-1 text-sm text-slate-700 dark:text-slate-300"><Inline text={cb.post.description} /></p>
          <p className="mt-1 text-sm">Body: <TypeLabel schema={cb.post.requestBody.content["application/json"].schema} />; header{" "}
            <code className="font-mono text-[13px]">{cb.post.parameters.map((p) => p.name).join(", ")}</code></p>
        </div>
      )))}
    </section>
  );
}

export default function ApiReferencePage() {
  const doc = getOpenApiDocument() as {
    info: { title: string; version: string; description: string };
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema>; securitySchemes: Record<string, { description?: string }> };
  };
  const components = doc.components.schemas;
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const tags = [...new Set(operations.map((o) => o.op.tags[0]))];

  return (
    <div className="mx-auto flex max-w-7xl gap-8 px-4 py-8 lg:px-8">
      <nav className="sticky top-6 hidden h-[calc(100vh-3rem)] w-64 shrink-0 overflow-y-auto text-sm lg:block" aria-label="Endpoints">
        <a href="#top" className="block font-semibold">{doc.info.title}</a>
        <a href="#authentication" className="mt-2 block text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white">Authentication</a>
        <a href="#callbacks" className="block text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white">Callback signatures</a>
        {tags.map((tag) => (
          <div key={tag} className="mt-4">
            <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">{tag}</p>
            <ul className="mt-1 space-y-0.5">
              {operations.filter((o) => o.op.tags[0] === tag).map(({ path, method, op }) => (
                <li key={op.operationId}>
                  <a href={`#${op.operationId}`} className="flex items-center gap-2 rounded px-1 py-0.5 hover:bg-slate-100 dark:hover:bg-slate-900">
                    <span className="w-12 shrink-0 font-mono text-[10px] font-semibold uppercase text-slate-500">{method}</span>
                    <span className="truncate text-slate-700 dark:text-slate-300" title={path}>{op.summary}</span>
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
        <a href="#schemas" className="mt-4 block text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white">Schemas</a>
      </nav>

      <main id="top" className="min-w-0 flex-1 space-y-8">
        <header>
          <h1 className="text-2xl font-semibold">{doc.info.title}</h1>
          <p className="mt-1 text-sm text-slate-500">
            Version {doc.info.version} · base URL <code className="font-mono">/api/v1</code> ·{" "}
            <a href="/api/v1/openapi.json" className="text-indigo-600 hover:underline dark:text-indigo-400">openapi.json</a> (OpenAPI 3.1)
          </p>
        </header>

        <section id="authentication" className="scroll-mt-6 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
          <h2 className="text-lg font-semibold">Authentication</h2>
          <p className="mt-2 text-sm"><Inline text={doc.components.securitySchemes.bearerAuth?.description} /></p>
          <pre className="mt-3 overflow-x-auto rounded bg-slate-900 p-3 font-mono text-[13px] text-slate-100">{`curl -H "Authorization: Bearer fd_…" \\
     -H "Content-Type: application/json" \\
     -d '{"inputs": {"name": "Ada"}, "response_mode": "blocking"}' \\
     https://flowdeck.example/api/v1/workflows/greet/runs`}</pre>
          <p className="mt-2 text-sm text-slate-600 dark:text-slate-300">
            Or send the key as <code className="font-mono">X-API-Key: fd_…</code>. In the browser, a signed-in session works too, with{" "}
            <code className="font-mono">?workspace=&lt;slug&gt;</code>.
          </p>
        </section>

        <section id="callbacks" className="scroll-mt-6 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
          <h2 className="text-lg font-semibold">Callback signatures</h2>
          <p className="mt-2 text-sm">
            A run started with <code className="font-mono">callback_url</code> POSTs a <SchemaLink name="RunCallback" /> there when it ends, with the header:
          </p>
          <pre className="mt-3 overflow-x-auto rounded bg-slate-900 p-3 font-mono text-[13px] text-slate-100">{`X-Flowdeck-Signature: t=1732270000,v1=5f0c…e9 

v1 = hex( HMAC-SHA256( signing_secret, t + "." + raw_body ) )`}</pre>
          <p className="mt-2 text-sm text-slate-600 dark:text-slate-300">
            Get the secret with <code className="font-mono">GET /api/v1/workspace/signing-secret</code> (admin key). Verify over the exact bytes received,
            compare in constant time, and refuse timestamps older than a few minutes. Anything but a 2xx within 10 s is retried with exponential
            backoff; each attempt is listed in the run&apos;s <code className="font-mono">callback.deliveries</code>.
          </p>
        </section>

        <section className="rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
          <Markdown>{withoutSections(doc.info.description, ["Authentication", "Callbacks"])}</Markdown>
        </section>

        {tags.map((tag) => (
          <div key={tag} className="space-y-4">
            <h2 className="text-xl font-semibold">{tag}</h2>
            {operations.filter((o) => o.op.tags[0] === tag).map(({ path, method, op }) => (
              <OperationView key={op.operationId} path={path} method={method} op={op} components={components} />
            ))}
          </div>
        ))}

        <div id="schemas" className="scroll-mt-6 space-y-4">
          <h2 className="text-xl font-semibold">Schemas</h2>
          {Object.entries(components).map(([name, schema]) => (
            <section key={name} id={`schema-${name}`} className="scroll-mt-6 rounded-lg border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
              <h3 className="font-mono font-semibold">{name}</h3>
              {typeof schema.description === "string" && <p className="mt-1 text-sm text-slate-600 dark:text-slate-300"><Inline text={schema.description} /></p>}
              <div className="mt-2"><SchemaTable schema={schema} components={components} /></div>
            </section>
          ))}
        </div>
      </main>
    </div>
  );
}
