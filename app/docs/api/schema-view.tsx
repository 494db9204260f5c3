/** Renders JSON Schema (as generated into the OpenAPI document) as readable tables. */
import type { ReactNode } from "react";

export type Schema = Record<string, unknown>;

const refName = (ref: string) => ref.split("/").pop()!;

/** Text with `code` spans (the document's descriptions use backticks). */
export function Inline({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <>
      {text.split(/(`[^`]+`)/).map((part, i) =>
        part.startsWith("`") && part.endsWith("`") && part.length > 2
          ? <code key={i} className="rounded bg-slate-100 px-1 font-mono text-[0.9em] dark:bg-slate-800">{part.slice(1, -1)}</code>
          : part)}
    </>
  );
}

export function SchemaLink({ name }: { name: string }) {
  return <a href={`#schema-${name}`} className="font-mono text-indigo-600 hover:underline dark:text-indigo-400">{name}</a>;
}

/** A short type expression: `string`, `Run | null`, `array of RunSummary`, `one of "a", "b"`. */
export function TypeLabel({ schema }: { schema: Schema | undefined }): ReactNode {
  if (!schema || Object.keys(schema).filter((k) => k !== "description" && k !== "default").length === 0) {
    return <span className="text-slate-500">any</span>;
  }
  if (typeof schema.$ref === "string") return <SchemaLink name={refName(schema.$ref)} />;
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants) {
    return (
      <>
        {variants.map((v, i) => (
          <span key={i}>{i > 0 && <span className="text-slate-400"> | </span>}<TypeLabel schema={v} /></span>
        ))}
      </>
    );
  }
  if (Array.isArray(schema.enum)) {
    return <span className="font-mono">{(schema.enum as unknown[]).map((e) => JSON.stringify(e)).join(" | ")}</span>;
  }
  if (schema.const !== undefined) return <span className="font-mono">{JSON.stringify(schema.const)}</span>;
  if (schema.type === "array") return <>array of <TypeLabel schema={schema.items as Schema} /></>;
  if (schema.type === "object" && !schema.properties && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return <>map of <TypeLabel schema={schema.additionalProperties as Schema} /></>;
  }
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any");
  return <span className="font-mono">{type}{schema.format ? <span className="text-slate-500"> ({String(schema.format)})</span> : null}</span>;
}

/** Constraints worth showing next to a field. */
function constraints(schema: Schema): string[] {
  const out: string[] = [];
  const s = (schema.anyOf as Schema[] | undefined)?.find((v) => v.type !== "null") ?? schema;
  if (s.minLength !== undefined) out.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`max length ${s.maxLength}`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && Number(s.maximum) < 9e15) out.push(`≤ ${s.maximum}`);
  if (s.maxItems !== undefined) out.push(`max ${s.maxItems} items`);
  if (typeof s.pattern === "string" && s.pattern.length < 60) out.push(`pattern ${s.pattern}`);
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out;
}

function descriptionOf(schema: Schema): string | undefined {
  if (typeof schema.description === "string") return schema.description;
  const inner = (schema.anyOf as Schema[] | undefined)?.find((v) => typeof v.description === "string");
  return inner?.description as string | undefined;
}

/** An object's fields as a table; other schemas as one line. */
export function SchemaTable({ schema, components }: { schema: Schema | undefined; components: Record<string, Schema> }) {
  if (!schema) return null;
  const resolved = typeof schema.$ref === "string" ? components[refName(schema.$ref)] : schema;
  const props = resolved?.properties as Record<string, Schema> | undefined;
  if (!props) {
    return <p className="text-sm"><TypeLabel schema={schema} /></p>;
  }
  const required = new Set((resolved.required as string[] | undefined) ?? []);
  return (
    <div className="overflow-x-auto">
      {typeof schema.$ref === "string" && (
        <p className="mb-1 text-xs text-slate-500">Schema <SchemaLink name={refName(schema.$ref)} /></p>
      )}
      <table className="w-full text-left text-sm">
        <thead className="text-xs uppercase tracking-wide text-slate-500">
          <tr><th className="py-1 pr-4 font-medium">Field</th><th className="py-1 pr-4 font-medium">Type</th><th className="py-1 font-medium">Description</th></tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {Object.entries(props).map(([name, p]) => (
            <tr key={name} className="align-top">
              <td className="py-1.5 pr-4 font-mono text-[13px]">
                {name}{required.has(name) && <span className="ml-1 text-red-500" title="required">*</span>}
              </td>
              <td className="py-1.5 pr-4 text-[13px]"><TypeLabel schema={p} /></td>
              <td className="py-1.5 text-[13px] text-slate-600 dark:text-slate-300">
                <Inline text={descriptionOf(p)} />
                {constraints(p).length > 0 && <span className="block text-xs text-slate-400">{constraints(p).join(" · ")}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
