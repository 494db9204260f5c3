"use client";
/**
 * One input or output value: text as rendered markdown (outputs) or plain text (inputs),
 * stored files as download links, other structures as a JSON tree. A file is any value
 * shaped like the stored-file record runs carry ({id, name, size, mime_type}).
 */
import { createContext, useContext } from "react";
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { JsonTree } from "@/components/ui/json-tree";
import { formatBytes } from "@/components/ui/format";

export interface FileValue {
  id: string;
  name: string;
  size: number;
  mime_type: string;
}

/** Where a stored file downloads from; null where files may not be downloaded (share pages). */
export const FileHrefContext = createContext<((id: string) => string) | null>(null);

export function isFileValue(value: unknown): value is FileValue {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === "string" && typeof v.name === "string" && typeof v.size === "number" && typeof v.mime_type === "string";
}

function FileLink({ file }: { file: FileValue }) {
  const href = useContext(FileHrefContext);
  return (
    <span className="inline-flex items-center gap-2 rounded-md border border-slate-200 px-2 py-1 text-sm dark:border-slate-700" data-testid="file-value">
      {/* Drawn, not an emoji: many servers and Linux desktops have no emoji font. */}
      <svg aria-hidden viewBox="0 0 16 16" className="h-4 w-4 shrink-0 text-slate-500" fill="none" stroke="currentColor" strokeWidth="1.3" data-testid="file-icon">
        <path d="M4 1.5h5.5L13 5v9.5H4z" strokeLinejoin="round" />
        <path d="M9.5 1.5V5H13M6 8.5h5M6 11h5" strokeLinecap="round" />
      </svg>
      {href ? (
        <a href={href(file.id)} download={file.name} className="font-medium text-indigo-600 hover:underline dark:text-indigo-400" data-testid="file-download">{file.name}</a>
      ) : (
        <span className="font-medium">{file.name}</span>
      )}
      <span className="text-xs text-slate-500">{formatBytes(file.size)} · {file.mime_type}</span>
    </span>
  );
}

export function OutputValue({ value, markdown = true }: { value: unknown; markdown?: boolean }) {
  if (typeof value === "string") {
    return markdown ? (
      <div className="prose-output text-sm" data-testid="markdown-output"><ReactMarkdown remarkPlugins={[remarkGfm]}>{value}</ReactMarkdown></div>
    ) : (
      <p className="whitespace-pre-wrap break-words text-sm">{value}</p>
    );
  }
  if (isFileValue(value)) return <FileLink file={value} />;
  if (Array.isArray(value) && value.length > 0 && value.every(isFileValue)) {
    return <ul className="flex flex-wrap gap-2">{value.map((f) => <li key={f.id}><FileLink file={f} /></li>)}</ul>;
  }
  if (value !== null && typeof value === "object") return <JsonTree value={value} />;
  return <code className="font-mono text-sm">{JSON.stringify(value)}</code>;
}
