/**
 * The HTTP server: Next.js inside a plain Node server, so that WebSocket upgrades the
 * compatibility APIs answer (PromptLayer's Centrifugo endpoint, lib/compat/upgrades.ts)
 * reach our handler; every other request and upgrade goes to Next.js. Started by
 * scripts/start.ts (`npm start`, `npm run dev`) after migrations and the demo seed.
 */
import http from "node:http";
import path from "node:path";
import { actionBodyLimit, routeHandlerMatcher, screenActionPost, type ActionPostScreen } from "../lib/api/action-post-screen";
import { answerMalformedTarget } from "../lib/api/request-target";
import { shutdownGraceMs } from "../lib/executor/mode";
import { runShutdownHooks } from "../lib/executor/shutdown";

const dev = process.argv.includes("--dev");
// Next.js reads NODE_ENV when it loads; `next start` sets it the same way.
(process.env as Record<string, string>).NODE_ENV = dev ? "development" : "production";

const root = path.resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT || 3000);
const hostname = process.env.HOST ?? "0.0.0.0";

const { default: next } = await import("next");
const app = next({ dev, dir: root, hostname, port });
await app.prepare();
const handleRequest = app.getRequestHandler();
const handleUpgrade = app.getUpgradeHandler();
const { handleCompatUpgrade, refuseUpgrade } = await import("../lib/compat/upgrades");

// Server-action POSTs whose body Next.js would fail on are refused (lib/api/action-post-screen.ts);
// the build's manifests tell page paths from route handlers (in development they are partial).
const distDir = path.join(root, ".next");
const actionScreen: ActionPostScreen | null = dev ? null : { isRouteHandler: routeHandlerMatcher(distDir), limitBytes: actionBodyLimit(distDir) };

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  handleRequest(req, res).catch((err) => {
    console.error("[server] request failed:", err);
    if (!res.headersSent) res.writeHead(500).end();
  });
}

const server = http.createServer((req, res) => {
  // Next.js answers a path it cannot percent-decode with a 500: refuse those here (400).
  if (answerMalformedTarget(req, res)) return;
  const screened = actionScreen ? screenActionPost(req, res, actionScreen) : req;
  if (!(screened instanceof Promise)) return handle(screened, res);
  screened.then((checked) => checked && handle(checked, res)).catch((err) => {
    console.error("[server] screening a form post failed:", err);
    if (!res.headersSent) res.writeHead(500).end();
  });
});
server.on("upgrade", (req, socket, head) => {
  if (handleCompatUpgrade(req, socket, head)) return;
  // Next.js takes WebSockets only in development (hot reload); in production its handler does
  // nothing and the connection would hang open: refuse it.
  if (!dev) return refuseUpgrade(socket);
  handleUpgrade(req, socket, head).catch(() => socket.destroy());
});
// Node's defaults close idle keep-alive sockets after 5 s; load balancers usually wait longer.
server.keepAliveTimeout = 65_000;
server.listen(port, hostname, () => {
  // The bound port, so PORT=0 (any free port, as the test harness asks) is reported truly.
  const bound = (server.address() as import("node:net").AddressInfo).port;
  console.log(`flowdeck: ready on http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${bound}`);
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    // Runs this process executes (inline mode) may finish their running steps for the grace
    // period; the unfinished ones are handed back to be resumed (lib/executor).
    void runShutdownHooks()
      .then(() => app.close())
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), shutdownGraceMs() + 5_000).unref();
  });
}
