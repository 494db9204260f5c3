import type { Metadata } from "next";
import type { ReactNode } from "react";
import { cookies } from "next/headers";
import { Providers } from "@/components/providers";
import { parseThemeCookie, serverThemeClass, THEME_COOKIE, THEME_SCRIPT } from "@/components/layout/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Flowdeck", template: "%s · Flowdeck" },
  description: "Run, stream and share your workflows",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The theme cookie lets the first HTML carry the right class: no light flash before dark.
  const stored = (await cookies()).get(THEME_COOKIE)?.value;
  return (
    // The inline script may set the class (first visit, "system"): the attributes can differ.
    <html lang="en" className={serverThemeClass(stored)} data-theme={parseThemeCookie(stored).theme} suppressHydrationWarning>
      <head>
        <script id="theme-script" dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="min-h-screen">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
