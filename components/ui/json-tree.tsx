"use client";
/** A collapsible JSON tree (objects and arrays fold; long values wrap). */
import { useState } from "react";

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span className="text-slate-400">null</span>;
  if (typeof value === "string") return <span className="break-all text-emerald-700 dark:text-emerald-400">&quot;{value}&quot;</span>;
  if (typeof value === "number") return <span className="text-blue-700 dark:text-blue-400">{value}</span>;
  if (typeof value === "boolean") return <span className="text-purple-700 dark:text-purple-400">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Node({ name, value, depth }: { name?: string; value: unknown; depth: number }) {
  const isObject = value !== null && typeof value === "object";
  const [open, setOpen] = useState(depth < 2);
  const label = name !== undefined && <span className="text-slate-600 dark:text-slate-300">{name}: </span>;
  if (!isObject) return <div className="pl-4">{label}<Scalar value={value} /></div>;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as object);
  const [openMark, closeMark] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return (
    <div className="pl-4">
      <button type="button" onClick={() => setOpen(!open)} className="-ml-4 w-4 text-slate-400" aria-label={open ? "Collapse" : "Expand"}>
        {open ? "▾" : "▸"}
      </button>
      {label}
      {openMark}
      {open ? (
        <>
          {entries.map(([k, v]) => <Node key={k} name={Array.isArray(value) ? undefined : k} value={v} depth={depth + 1} />)}
          <span>{closeMark}</span>
        </>
      ) : (
        <span className="text-slate-400"> {entries.length} {entries.length === 1 ? "item" : "items"} {closeMark}</span>
      )}
    </div>
  );
}

export function JsonTree({ value }: { value: unknown }) {
  return <div className="-ml-4 font-mono text-sm leading-6" data-testid="json-tree"><Node value={value} depth={0} /></div>;
}
