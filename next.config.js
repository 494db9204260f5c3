/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // Native and wasm packages load from node_modules at run time instead of being bundled.
  // Document readers too: unpdf's pdf.js build uses import.meta.resolve and a computed dynamic
  // import, mammoth requires fs/path, and turndown's Node build needs its DOM (domino).
  serverExternalPackages: ["better-sqlite3", "quickjs-emscripten", "graphile-worker", "pg", "jsonata", "unpdf", "mammoth", "turndown"],
  experimental: {
    serverActions: { bodySizeLimit: "2mb" },
  },
};
export default nextConfig;
