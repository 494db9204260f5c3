/**
 * For tests: a real S3-compatible server (s3rver) in a child process on 127.0.0.1, a random
 * port, a temporary folder and one bucket. A child process, so its memory and event loop are
 * not the test's (upload memory is measured in the test process).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { S3StoreConfig } from "./s3-file-store";

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The folder s3rver keeps its buckets in. */
  directory: string;
  /** Settings for an S3FileStore on this server. */
  config: S3StoreConfig;
  /** The same as environment variables (FLOWDECK_S3_*, AWS_*), for code that reads them. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

// s3rver checks request signatures against these fixed credentials.
const ACCESS_KEY = "S3RVER";
const SECRET_KEY = "S3RVER";

const SERVER_SCRIPT = `
const S3rver = require(process.env.S3RVER_PATH);
const server = new S3rver({
  address: "127.0.0.1", port: 0, silent: true,
  directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + "\\n"),
  (error) => { console.error(error); process.exit(1); },
);
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));
`;

export async function startS3TestServer(opts: { bucket?: string; prefix?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? "flowdeck-test";
  const directory = mkdtempSync(path.join(os.tmpdir(), "flowdeck-s3rver-"));
  const child = spawn(process.execPath, ["-e", SERVER_SCRIPT], {
    env: {
      PATH: process.env.PATH ?? "",
      S3RVER_PATH: createRequire(import.meta.url).resolve("s3rver"),
      S3RVER_DIR: directory,
      S3RVER_BUCKET: bucket,
    } as Record<string, string> as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`s3rver did not start within 15 s: ${err}`)), 15_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once("exit", (code) => fail(new Error(`s3rver exited (${code}): ${err}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const prefix = opts.prefix ?? "";
  return {
    endpoint,
    bucket,
    directory,
    config: {
      bucket, endpoint, region: "us-east-1", prefix,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    },
    env: {
      FLOWDECK_S3_BUCKET: bucket,
      FLOWDECK_S3_ENDPOINT: endpoint,
      FLOWDECK_S3_REGION: "us-east-1",
      FLOWDECK_S3_PREFIX: prefix,
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    },
    stop: () => stopChild(child).finally(() => rmSync(directory, { recursive: true, force: true })),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
