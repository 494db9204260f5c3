/** Files on local disk under one folder (FLOWDECK_DATA_DIR/files by default). */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { lazyWebStream } from "./lazy-web-stream";
import { MeteredStream } from "./metered-stream";
import { checkKey, MissingFileError, type FileStore, type PutResult, type PutStreamOptions } from "./store";

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === "ENOENT";

export class LocalFileStore implements FileStore {
  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  async put(key: string, bytes: Uint8Array) {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }

  async putStream(key: string, body: Readable | ReadableStream<Uint8Array>, opts: PutStreamOptions = {}): Promise<PutResult> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Written beside the target ('~' never occurs in a key) and renamed when complete, so
    // nobody ever reads half a file under the key.
    const partial = `${file}~${randomUUID()}`;
    const meter = new MeteredStream(opts.maxBytes);
    const source = body instanceof Readable ? body : Readable.fromWeb(body as import("node:stream/web").ReadableStream);
    const out = createWriteStream(partial);
    try {
      await pipeline(source, meter, out);
      await rename(partial, file);
    } catch (error) {
      // The file is opened asynchronously: a source that fails at once (a multipart part cut
      // off when the request is refused) can end the pipeline before the open completes, and a
      // removal then would run before the file exists. Wait for the stream to close first.
      if (!out.closed) await new Promise<void>((resolve) => out.once("close", () => resolve()));
      await rm(partial, { force: true }).catch(() => {});
      throw error;
    }
    return { size: meter.received, sha256: meter.sha256() };
  }

  async get(key: string) {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      throw isMissing(error) ? new MissingFileError(key) : error;
    }
  }

  stream(key: string) {
    const file = this.pathOf(key);
    return lazyWebStream(
      () => createReadStream(file),
      (error) => (isMissing(error) ? new MissingFileError(key) : error),
    );
  }

  async move(fromKey: string, toKey: string) {
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    await mkdir(path.dirname(to), { recursive: true });
    try {
      await rename(from, to);
    } catch (error) {
      throw isMissing(error) ? new MissingFileError(fromKey) : error;
    }
  }

  async remove(key: string) {
    await rm(this.pathOf(key), { force: true });
  }

  async sweepTemporary(before: Date) {
    const dir = path.join(this.root, "tmp");
    const names = await readdir(dir).catch((error) => (isMissing(error) ? [] : Promise.reject(error)));
    let removed = 0;
    for (const name of names) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile() || info.mtime >= before) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }
}
