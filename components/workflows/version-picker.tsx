"use client";
/** Picks the version to run: a label, an exact version number, or the latest. Kept in the URL. */
import { usePathname, useRouter } from "next/navigation";

export function VersionPicker(props: {
  labels: { name: string; version: number }[];
  versions: { number: number }[];
  selected: string;
}) {
  const router = useRouter();
  const pathname = usePathname();
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="text-slate-500">Version</span>
      <select aria-label="Version" data-testid="version-picker" value={props.selected}
        onChange={(e) => {
          const [kind, value] = e.target.value.split(":");
          const query = kind === "label" ? `?label=${encodeURIComponent(value)}` : kind === "version" ? `?version=${value}` : "";
          router.push(`${pathname}${query}`);
        }}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900">
        <option value="latest">latest (v{props.versions[0]?.number ?? "?"})</option>
        <optgroup label="Labels">
          {props.labels.map((l) => <option key={l.name} value={`label:${l.name}`}>{l.name} → v{l.version}</option>)}
        </optgroup>
        <optgroup label="Versions">
          {props.versions.map((v) => <option key={v.number} value={`version:${v.number}`}>v{v.number}</option>)}
        </optgroup>
      </select>
    </label>
  );
}
