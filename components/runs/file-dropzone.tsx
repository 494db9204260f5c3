"use client";
/**
 * A drop zone for file inputs: checks type and size at once (the server checks again),
 * uploads each file to /api/v1/files with a progress bar, and reports the stored refs.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { useDropzone } from "react-dropzone";
import { formatBytes } from "@/components/ui/format";
// The engine's own rule (inputs.ts imports only zod, so it is safe in the browser).
import { fileTypeAccepted } from "@/lib/engine/inputs";

export interface FileRefValue {
  id: string;
  name: string;
  size: number;
  mime_type: string;
}

interface Upload {
  key: string;
  name: string;
  size: number;
  progress: number;
  error?: string;
  ref?: FileRefValue;
}

function uploadFile(workspace: string, file: File, onProgress: (fraction: number) => void): Promise<FileRefValue> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/files?workspace=${encodeURIComponent(workspace)}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: { message?: string } & Partial<FileRefValue> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 201 && body.id) resolve(body as FileRefValue);
      else reject(new Error(body.message ?? `Upload failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("Upload failed: network error"));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

export function FileDropzone(props: {
  workspace: string;
  inputName: string;
  multiple: boolean;
  accept?: string[];
  maxSize?: number;
  maxFiles?: number;
  onChange: (refs: FileRefValue[]) => void;
  /** Told whether an upload is still in flight (the form waits for it). */
  onBusyChange?: (busy: boolean) => void;
}) {
  const { workspace, multiple, accept, maxSize, maxFiles } = props;
  const [uploads, setUploads] = useState<Upload[]>([]);

  // Report the uploaded refs whenever the list changes (not from inside state updaters).
  const callbacks = useRef(props);
  callbacks.current = props;
  useEffect(() => {
    callbacks.current.onChange(uploads.flatMap((u) => (u.ref ? [u.ref] : [])));
    callbacks.current.onBusyChange?.(uploads.some((u) => !u.ref && !u.error));
  }, [uploads]);

  const update = useCallback(
    (key: string, patch: Partial<Upload>) => setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u))),
    [],
  );

  const onDrop = useCallback(
    (files: File[]) => {
      const chosen = multiple ? files.slice(0, maxFiles ?? files.length) : files.slice(0, 1);
      const fresh: Upload[] = chosen.map((f, i) => {
        const key = `${Date.now()}-${i}-${f.name}`;
        let error: string | undefined;
        if (accept?.length && !fileTypeAccepted({ name: f.name, mime_type: f.type }, accept)) error = `${f.name}: this file type is not accepted (accepted: ${accept.join(", ")})`;
        else if (maxSize && f.size > maxSize) error = `${f.name} is too large (${formatBytes(f.size)}; max ${formatBytes(maxSize)})`;
        return { key, name: f.name, size: f.size, progress: 0, error };
      });
      setUploads((list) => (multiple ? [...list, ...fresh] : fresh));
      chosen.forEach((file, i) => {
        const u = fresh[i];
        if (u.error) return;
        uploadFile(workspace, file, (p) => update(u.key, { progress: p }))
          .then((ref) => update(u.key, { ref, progress: 1 }))
          .catch((err: Error) => update(u.key, { error: err.message }));
      });
    },
    [accept, maxFiles, maxSize, multiple, update, workspace],
  );

  const { getRootProps, getInputProps, isDragActive } = useDropzone({ onDrop, multiple });

  return (
    <div>
      <div {...getRootProps()} data-testid={`dropzone-${props.inputName}`}
        className={`cursor-pointer rounded-lg border-2 border-dashed px-4 py-6 text-center text-sm transition ${
          isDragActive ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950" : "border-slate-300 hover:border-slate-400 dark:border-slate-700"}`}>
        <input {...getInputProps()} data-testid={`file-input-${props.inputName}`} />
        <p className="text-slate-600 dark:text-slate-300">
          {isDragActive ? "Drop to upload" : multiple ? "Drop files here, or click to choose" : "Drop a file here, or click to choose"}
        </p>
        {(accept?.length || maxSize) && (
          <p className="mt-1 text-xs text-slate-400">
            {accept?.length ? `Accepted: ${accept.filter((a) => a.startsWith(".")).join(", ") || accept.join(", ")}` : ""}
            {maxSize ? ` · up to ${formatBytes(maxSize)}` : ""}
          </p>
        )}
      </div>
      {uploads.length > 0 && (
        <ul className="mt-2 space-y-1.5">
          {uploads.map((u) => (
            <li key={u.key} className="text-sm" data-testid="upload-item">
              <div className="flex justify-between gap-2">
                <span className="truncate">{u.name} <span className="text-slate-400">({formatBytes(u.size)})</span></span>
                <span className={u.error ? "text-red-600 dark:text-red-400" : u.ref ? "text-emerald-600 dark:text-emerald-400" : "text-slate-500"}>
                  {u.error ? "rejected" : u.ref ? "uploaded" : `${Math.round(u.progress * 100)}%`}
                </span>
              </div>
              {u.error ? (
                <p role="alert" className="text-xs text-red-600 dark:text-red-400">{u.error}</p>
              ) : (
                <div className="mt-1 h-1.5 overflow-hidden rounded bg-slate-200 dark:bg-slate-800">
                  <div className="h-full bg-indigo-500 transition-all" style={{ width: `${Math.round(u.progress * 100)}%` }} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
