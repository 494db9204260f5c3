import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    // Playwright owns e2e/*.spec.ts; vitest runs the colocated unit and integration tests.
    include: ["lib/**/*.test.ts", "scripts/**/*.test.ts", "components/**/*.test.ts"],
    globalSetup: ["./vitest.global-setup.ts"],
    setupFiles: ["./vitest.setup.ts"],
    testTimeout: 20_000,
    // Hooks start servers, workers and databases: slow on a loaded 2-core machine.
    hookTimeout: 60_000,
    pool: "forks",
    // Route handlers load Auth.js (for sessions); next-auth's ESM imports "next/server" without
    // an extension, which Node's resolver refuses unless Vite resolves it.
    server: { deps: { inline: ["next-auth"] } },
  },
});
