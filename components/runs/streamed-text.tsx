"use client";
/**
 * A step's streamed text (LLM tokens), shown as it arrives. Long answers arrive in thousands
 * of chunks, so React renders the text once and each later chunk is appended to the DOM as a
 * text node: the cost per token is the new characters, not the whole answer. The box follows
 * the end while the reader is at the bottom and stays put when they scroll up.
 */
import { memo, useEffect, useRef, useState } from "react";

/** How close to the bottom (px) still counts as "following" the stream. */
const FOLLOW_SLACK_PX = 32;

export const StreamedText = memo(function StreamedText(props: { stepId: string; name: string; text: string; streaming: boolean }) {
  const { stepId, name, text, streaming } = props;
  const boxRef = useRef<HTMLDivElement>(null);
  const preRef = useRef<HTMLPreElement>(null);
  // React owns only the text present at mount; everything after it is appended below.
  const [initialText] = useState(text);
  const shownLength = useRef(initialText.length);
  const following = useRef(true);

  useEffect(() => {
    const pre = preRef.current;
    const box = boxRef.current;
    if (!pre || !box) return;
    // A step's text only ever grows (run-view-state appends chunks), so the new part is the tail.
    if (text.length > shownLength.current) pre.appendChild(document.createTextNode(text.slice(shownLength.current)));
    else if (text.length < shownLength.current) pre.textContent = text;
    shownLength.current = text.length;
    if (following.current) box.scrollTop = box.scrollHeight;
  }, [text]);

  const onScroll = () => {
    const box = boxRef.current;
    if (box) following.current = box.scrollHeight - box.scrollTop - box.clientHeight < FOLLOW_SLACK_PX;
  };

  return (
    <div data-testid={`streamed-${stepId}`}>
      <div className="mb-1 flex items-baseline justify-between gap-2 text-xs text-slate-500">
        <span>
          {name} <span className="font-mono text-slate-400">{stepId}</span>
        </span>
        <span className="font-mono" data-testid={`streamed-count-${stepId}`}>
          {streaming && <span className="mr-2 text-blue-600 dark:text-blue-400">streaming…</span>}
          {text.length.toLocaleString("en-US")} chars
        </span>
      </div>
      <div ref={boxRef} onScroll={onScroll}
        className="max-h-96 overflow-y-auto rounded-md border border-slate-200 bg-slate-50 px-3 py-2 dark:border-slate-800 dark:bg-slate-950">
        <pre ref={preRef} data-testid={`streamed-text-${stepId}`}
          className={`whitespace-pre-wrap break-words font-sans text-sm leading-6 text-slate-800 dark:text-slate-200 ${streaming ? "after:ml-0.5 after:animate-pulse after:text-blue-500 after:content-['▍']" : ""}`}>
          {initialText}
        </pre>
      </div>
    </div>
  );
});
