"use client";
/** One output value: text as rendered markdown, structures as a JSON tree. */
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { JsonTree } from "@/components/ui/json-tree";

export function OutputValue({ value }: { value: unknown }) {
  if (typeof value === "string") {
    return <div className="prose-output text-sm" data-testid="markdown-output"><ReactMarkdown remarkPlugins={[remarkGfm]}>{value}</ReactMarkdown></div>;
  }
  if (value !== null && typeof value === "object") return <JsonTree value={value} />;
  return <code className="font-mono text-sm">{JSON.stringify(value)}</code>;
}
