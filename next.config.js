/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // Native and wasm packages load from node_modules at run time instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "quickjs-emscripten", "graphile-worker", "pg", "jsonata"],
  experimental: {
    serverActions: { bodySizeLimit: "2mb" },
  },
};
export default nextConfig;
