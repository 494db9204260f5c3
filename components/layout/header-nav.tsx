"use client";
/**
 * The header's page links, with the current one marked. On a wide screen every link shows;
 * below 1280 px the four settings pages fold into a "Settings" menu so the header never
 * overflows a laptop screen (1024 px and up).
 */
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";

interface NavLink {
  href: string;
  label: string;
}

const linkClass = (active: boolean) =>
  `whitespace-nowrap rounded-md px-2.5 py-1.5 transition ${active
    ? "bg-slate-100 font-medium text-slate-900 dark:bg-slate-800 dark:text-white"
    : "text-slate-600 hover:bg-slate-50 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800/60 dark:hover:text-white"}`;

export function HeaderNav({ workspace }: { workspace: string }) {
  const pathname = usePathname() ?? "";
  const base = `/w/${workspace}`;
  const primary: NavLink[] = [
    { href: `${base}/workflows`, label: "Workflows" },
    { href: `${base}/runs`, label: "Runs" },
  ];
  const settings: NavLink[] = [
    { href: `${base}/settings/secrets`, label: "Secrets" },
    { href: `${base}/settings/api-keys`, label: "API keys" },
    { href: `${base}/settings/members`, label: "Members" },
    { href: `${base}/settings/share-links`, label: "Share links" },
  ];
  const isActive = (href: string) => pathname === href || pathname.startsWith(`${href}/`);

  return (
    <nav aria-label="Main" data-testid="header-nav" className="flex min-w-0 items-center gap-0.5 text-sm">
      {primary.map((l) => (
        <Link key={l.href} href={l.href} aria-current={isActive(l.href) ? "page" : undefined} className={linkClass(isActive(l.href))}>{l.label}</Link>
      ))}
      <span className="hidden xl:contents">
        {settings.map((l) => (
          <Link key={l.href} href={l.href} aria-current={isActive(l.href) ? "page" : undefined} className={linkClass(isActive(l.href))}>{l.label}</Link>
        ))}
      </span>
      <SettingsMenu links={settings} active={settings.find((l) => isActive(l.href)) ?? null} pathname={pathname} />
    </nav>
  );
}

/** The folded settings links (below xl): a button that opens a small list. */
function SettingsMenu({ links, active, pathname }: { links: NavLink[]; active: NavLink | null; pathname: string }) {
  const [open, setOpen] = useState(false);
  const [openedAt, setOpenedAt] = useState(pathname);
  const menuId = useId();
  const box = useRef<HTMLDivElement>(null);

  // A navigation closes it.
  if (open && openedAt !== pathname) setOpen(false);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => { if (!box.current?.contains(e.target as Node)) setOpen(false); };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      box.current?.querySelector<HTMLButtonElement>("button")?.focus();
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div ref={box} className="relative xl:hidden">
      <button type="button" aria-expanded={open} aria-controls={menuId} data-testid="settings-menu-button"
        onClick={() => { setOpenedAt(pathname); setOpen((o) => !o); }}
        className={`${linkClass(active !== null)} inline-flex items-center gap-1`}>
        {active ? <>Settings<span className="text-slate-400">·</span>{active.label}</> : "Settings"}
        <svg viewBox="0 0 20 20" width="14" height="14" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true"
          className={`transition ${open ? "rotate-180" : ""}`}>
          <path d="m5.5 8 4.5 4.5L14.5 8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      {open && (
        <ul id={menuId} data-testid="settings-menu"
          className="absolute left-0 top-full z-40 mt-1.5 w-48 rounded-lg border border-slate-200 bg-white p-1 shadow-lg dark:border-slate-700 dark:bg-slate-900">
          {links.map((l) => (
            <li key={l.href}>
              <Link href={l.href} aria-current={active?.href === l.href ? "page" : undefined} onClick={() => setOpen(false)}
                className={`block ${linkClass(active?.href === l.href)}`}>
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
