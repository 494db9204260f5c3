"use client";
/**
 * A plain monospace text area for a definition, with line numbers in a gutter that scrolls
 * with it and marks the lines that have problems. A file dropped on it replaces the text.
 */
import { forwardRef, useImperativeHandle, useRef, useState, type DragEvent } from "react";

export interface DefinitionEditorHandle {
  /** Focuses the text and selects line `line` (1-based), scrolling it into view. */
  showLine: (line: number) => void;
}

/** Rows are this tall (px); the gutter and the text must agree. */
const LINE_HEIGHT = 20;

export const DefinitionEditor = forwardRef<DefinitionEditorHandle, {
  id: string;
  value: string;
  onChange: (value: string) => void;
  /** Lines with problems (1-based). */
  problemLines?: ReadonlySet<number>;
  readOnly?: boolean;
  /** A file dropped onto the editor. */
  onFile?: (file: File) => void;
  describedBy?: string;
  label: string;
}>(function DefinitionEditor({ id, value, onChange, problemLines, readOnly, onFile, describedBy, label }, ref) {
  const textRef = useRef<HTMLTextAreaElement>(null);
  const gutterRef = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState(false);
  const lineCount = value.split("\n").length;

  useImperativeHandle(ref, () => ({
    showLine(line) {
      const area = textRef.current;
      if (!area) return;
      const lines = area.value.split("\n");
      const index = Math.min(Math.max(line, 1), lines.length) - 1;
      const start = lines.slice(0, index).reduce((sum, l) => sum + l.length + 1, 0);
      area.focus();
      area.setSelectionRange(start, start + lines[index].length);
      area.scrollTop = Math.max(0, index * LINE_HEIGHT - area.clientHeight / 3);
    },
  }), []);

  function drop(e: DragEvent) {
    if (!onFile || readOnly) return;
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) onFile(file);
  }

  return (
    <div
      className={`relative flex overflow-hidden rounded-md border bg-white font-mono text-[13px] dark:bg-slate-950 ${dragging ? "border-indigo-500 ring-2 ring-indigo-300" : "border-slate-300 dark:border-slate-700"}`}
      onDragOver={(e) => { if (onFile && !readOnly) { e.preventDefault(); setDragging(true); } }}
      onDragLeave={() => setDragging(false)}
      onDrop={drop}
    >
      <div ref={gutterRef} aria-hidden="true" data-testid="definition-gutter"
        className="select-none overflow-hidden border-r border-slate-200 bg-slate-50 pb-6 pt-2 text-right text-slate-400 dark:border-slate-800 dark:bg-slate-900">
        {Array.from({ length: lineCount }, (_, i) => {
          const bad = problemLines?.has(i + 1);
          return (
            <div key={i} style={{ height: LINE_HEIGHT, lineHeight: `${LINE_HEIGHT}px` }} data-problem={bad ? "true" : undefined}
              className={`min-w-[3rem] px-2 ${bad ? "bg-red-100 font-semibold text-red-700 dark:bg-red-950 dark:text-red-300" : ""}`}>
              {i + 1}
            </div>
          );
        })}
      </div>
      <textarea
        ref={textRef}
        id={id}
        aria-label={label}
        aria-describedby={describedBy}
        data-testid="definition-editor"
        value={value}
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
        onScroll={(e) => { if (gutterRef.current) gutterRef.current.scrollTop = e.currentTarget.scrollTop; }}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        autoCorrect="off"
        wrap="off"
        rows={24}
        style={{ lineHeight: `${LINE_HEIGHT}px` }}
        className="min-h-[24rem] flex-1 resize-y whitespace-pre bg-transparent px-3 py-2 focus:outline-none read-only:text-slate-500"
      />
      {dragging && (
        <div className="pointer-events-none absolute inset-0 flex items-center justify-center bg-indigo-50/80 text-sm font-medium text-indigo-700 dark:bg-indigo-950/80 dark:text-indigo-300">
          Drop a JSON or YAML file to load it
        </div>
      )}
    </div>
  );
});
